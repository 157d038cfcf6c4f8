package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.quoted;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code -m conntrack} ({@link ConntrackMatch}): {@code [!] --ctstate} and every other option of
 * the module, read and written as iptables-nft 1.8.9 reads and saves them.
 *
 * <pre>{@code
 * -m conntrack --ctproto tcp --ctorigsrcport :4 --ctexpire 3:3
 * // written: -m conntrack --ctproto 6 --ctorigsrcport 0:4 --ctexpire 3
 * -m conntrack --ctexpire 4294967296      // refused: out of range, as iptables refuses it
 * }</pre>
 *
 * <p>Ports may be service names, resolved through /etc/services as iptables does ({@link Services}).
 * Forms mlb refuses although iptables takes them: host names and
 * short IPv4 forms ({@code 1.2.3}) for addresses, masks that are not a run of leading ones, and
 * ports above 65535 (which iptables wraps).
 */
final class ConntrackModule extends MatchModule<ConntrackMatch> {
  static final ConntrackModule INSTANCE = new ConntrackModule();

  private static final List<String> OPTIONS = allOptions();

  private ConntrackModule() {
    super("conntrack", ConntrackMatch.class);
  }

  private static List<String> allOptions() {
    List<String> all = new ArrayList<>();
    all.add("--ctstate");
    for (ConntrackCriterion.Option o : ConntrackCriterion.Option.values()) {
      all.add(o.flag());
    }
    return List.copyOf(all);
  }

  @Override
  List<String> options() {
    return OPTIONS;
  }

  @Override
  boolean negatable(String option) {
    return !option.equals("--ctdir");
  }

  @Override
  Reader reader(ModuleContext rule, String name, Token at) {
    return new Reader(this, name(), at, rule) {
      private final EnumSet<ConnState> states = EnumSet.noneOf(ConnState.class);
      private boolean statesNegated;
      private final Map<ConntrackCriterion.Option, ConntrackCriterion> criteria =
          new EnumMap<>(ConntrackCriterion.Option.class);

      @Override
      void value(String option, Token optionToken, Token arg) {
        if (option.equals("--ctstate")) {
          states(arg);
          statesNegated = optionNegated;
          return;
        }
        ConntrackCriterion.Option o = ConntrackCriterion.Option.of(option);
        String value = switch (o) {
          case PROTO -> proto(arg);
          case ORIGSRC, ORIGDST, REPLSRC, REPLDST -> address(arg, option);
          case ORIGSRCPORT, ORIGDSTPORT, REPLSRCPORT, REPLDSTPORT -> ports(arg, option);
          case STATUS -> status(arg);
          case EXPIRE -> expire(arg);
          case DIR -> direction(arg);
        };
        criteria.put(o, new ConntrackCriterion(o, optionNegated, value));
      }

      private void states(Token arg) {
        String list = arg.text();
        for (String p : list.split(",", -1)) {
          Optional<ConnState> s = ConnState.lookup(p);
          if (s.isEmpty()) {
            throw error(arg, (p.isEmpty() ? "empty state" : "unknown state " + quoted(p)) + " in --ctstate "
                + list + "; expected a comma-separated list of INVALID, NEW, ESTABLISHED, RELATED,"
                + " UNTRACKED, SNAT or DNAT (or a prefix of one)");
          }
          states.add(s.get());
        }
      }

      private String proto(Token arg) {
        if (Protocol.isAny(arg.text())) {
          return "0";   // iptables 1.8.9 takes "all" and 0 and saves --ctproto 0 (later versions refuse it)
        }
        try {
          return Integer.toString(Protocol.parse(arg.text()).number());
        } catch (IllegalArgumentException e) {
          throw error(arg, "--ctproto: " + e.getMessage());
        }
      }

      private String address(Token arg, String option) {
        String text = arg.text();
        int slash = text.indexOf('/');
        IpAddress address = rule.address(arg, slash < 0 ? text : text.substring(0, slash));
        rule.checkFamily(arg, option, text, address);
        int full = address.family() == IpFamily.V4 ? 32 : 128;
        int length = full;
        if (slash >= 0) {
          String mask = text.substring(slash + 1);
          if (mask.indexOf('.') >= 0 || mask.indexOf(':') >= 0) {
            IpAddress m = rule.address(arg, mask);
            length = m.family() == address.family() ? RuleParser.contiguousLength(m) : -1;
            if (length < 0) {
              throw error(arg, option + " " + text + ": the mask " + mask
                  + " is not a run of leading ones of the address's family; mlb does not support it");
            }
          } else {
            long n = mask.isEmpty() || mask.length() > 3 || !mask.chars().allMatch(Character::isDigit)
                ? -1 : Long.parseLong(mask);
            if (n < 0 || n > full) {
              throw error(arg, option + " " + text + ": bad prefix length " + quoted(mask)
                  + "; expected 0 to " + full);
            }
            length = (int) n;
          }
        }
        // iptables keeps the address as written (1.1.1.1/24 stays so) and leaves out a full mask.
        return length == full ? address.toString() : address + "/" + length;
      }

      private String ports(Token arg, String option) {
        String text = arg.text();
        int colon = text.indexOf(':');
        if (colon < 0) {
          return Integer.toString(port(arg, option, text));
        }
        String a = text.substring(0, colon);
        String b = text.substring(colon + 1);
        if (b.indexOf(':') >= 0) {
          throw error(arg, "too many parts in " + option + " " + text + "; expected PORT or FIRST:LAST");
        }
        int first = a.isEmpty() ? 0 : port(arg, option, a);
        int last = b.isEmpty() ? 65535 : port(arg, option, b);
        // iptables 1.8.9 takes FIRST above LAST (later versions refuse it) and saves it as written.
        return first == last ? Integer.toString(first) : first + ":" + last;
      }

      /** xtopt's XTTYPE_PORTRC: getaddrinfo(NULL, text), a decimal number or a service name (tcp, then udp, ...). */
      private int port(Token arg, String option, String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')
            || Integer.parseInt(text) > 65535) {
          return Services.resolve(rule, arg, option, text, "*", "a number from 0 to 65535");
        }
        return Integer.parseInt(text);
      }

      private String status(Token arg) {
        String list = arg.text();
        int mask = 0;
        for (String p : list.split(",", -1)) {
          int bit = statusBit(p);
          if (bit < 0) {
            throw error(arg, (p.isEmpty() ? "empty status" : "unknown status " + quoted(p)) + " in --ctstatus "
                + list + "; expected a comma-separated list of NONE, EXPECTED, SEEN_REPLY, ASSURED or"
                + " CONFIRMED (or a prefix of one)");
          }
          mask |= bit;
        }
        if (mask == 0) {
          return "NONE";
        }
        List<String> names = new ArrayList<>(4);
        for (int i = 0; i < STATUS_NAMES.length; i++) {
          if ((mask & (1 << i)) != 0) {
            names.add(STATUS_NAMES[i]);
          }
        }
        return String.join(",", names);
      }

      private String expire(Token arg) {
        String text = arg.text();
        int colon = text.indexOf(':');
        String a = colon < 0 ? text : text.substring(0, colon);
        String b = colon < 0 ? text : text.substring(colon + 1);
        if (b.indexOf(':') >= 0) {
          throw error(arg, "too many parts in --ctexpire " + text + "; expected SECONDS or MIN:MAX");
        }
        long min = colon >= 0 && a.isEmpty() ? 0 : seconds(arg, a);
        long max = colon >= 0 && b.isEmpty() ? 0xFFFF_FFFFL : seconds(arg, b);
        // iptables 1.8.9 takes MIN above MAX (later versions refuse it) and saves it as written.
        return min == max ? Long.toString(min) : min + ":" + max;
      }

      private long seconds(Token arg, String text) {
        long v = text.isEmpty() ? -1 : dev.mlb.api.Numbers.parseUnsigned(text, 0xFFFF_FFFFL);
        if (v < 0) {
          throw error(arg, "bad value " + quoted(text) + " in --ctexpire " + arg.text()
              + "; expected seconds from 0 to 4294967295 (0x hex or 0 octal), or MIN:MAX");
        }
        return v;
      }

      private String direction(Token arg) {
        String d = arg.text().toUpperCase(Locale.ROOT);
        if (!d.equals("ORIGINAL") && !d.equals("REPLY")) {
          throw error(arg, "bad value " + quoted(arg.text()) + " for --ctdir; expected ORIGINAL or REPLY");
        }
        return d;
      }

      @Override
      Match finish() {
        if (states.isEmpty() && criteria.isEmpty()) {
          throw error(at, "-m conntrack needs at least one option, such as --ctstate or --ctproto");
        }
        return new ConntrackMatch(ImmutableSet.copyOf(states), statesNegated,
            ImmutableList.copyOf(criteria.values()));
      }
    };
  }

  /** The status names by bit (EXPECTED 1, SEEN_REPLY 2, ASSURED 4, CONFIRMED 8), in save order. */
  private static final String[] STATUS_NAMES = {"EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED"};

  /** A status (or a prefix of one, case-insensitive, tried in iptables' order) as its bit; NONE is 0; -1 if unknown. */
  private static int statusBit(String text) {
    if (text.isEmpty()) {
      return -1;
    }
    String t = text.toUpperCase(Locale.ROOT);
    if ("NONE".startsWith(t)) {
      return 0;
    }
    for (int i = 0; i < STATUS_NAMES.length; i++) {
      if (STATUS_NAMES[i].startsWith(t)) {
        return 1 << i;
      }
    }
    return -1;
  }

  @Override
  void write(ConntrackMatch m, StringBuilder out) {
    if (!m.states().isEmpty()) {
      out.append(m.negated() ? " ! " : " ").append("--ctstate ");
      boolean first = true;
      for (ConnState s : m.states()) {
        out.append(first ? "" : ",").append(s.name());
        first = false;
      }
    }
    for (ConntrackCriterion c : m.criteria()) {
      out.append(c.negated() ? " ! " : " ").append(c.option().flag()).append(' ').append(c.value());
    }
  }
}
