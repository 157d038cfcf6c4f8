package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import java.util.Locale;

/**
 * {@code -m pkttype [!] --pkt-type TYPE}: matches packets by their link-layer type: to this host
 * (unicast), broadcast, multicast, or to another host (otherhost, seen in promiscuous mode).
 *
 * <pre>{@code
 * PkttypeMatch.of(PkttypeMatch.Type.BROADCAST)            // -m pkttype --pkt-type broadcast
 * PkttypeMatch.of(PkttypeMatch.Type.UNICAST).negate()     // -m pkttype ! --pkt-type unicast
 * }</pre>
 *
 * <p>iptables-nft 1.8.9 reads unicast, broadcast, multicast and otherhost, and the aliases host,
 * bcast and mcast, in any case; {@code iptables-save} prints the full lower-case name.
 *
 * @param type the packet type
 * @param negated whether the match is negated
 */
public record PkttypeMatch(Type type, boolean negated) implements Match {

  /** A packet type, as {@code iptables-save} prints it. */
  public enum Type {
    UNICAST("unicast"),
    BROADCAST("broadcast"),
    MULTICAST("multicast"),
    OTHERHOST("otherhost");

    private final String text;

    Type(String text) {
      this.text = text;
    }

    /** The name iptables-save prints. */
    public String text() {
      return text;
    }

    /** The type of a name or alias as iptables reads it (any case), or null. */
    static Type parse(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "unicast", "host" -> UNICAST;
        case "broadcast", "bcast" -> BROADCAST;
        case "multicast", "mcast" -> MULTICAST;
        case "otherhost" -> OTHERHOST;
        default -> null;
      };
    }
  }

  public PkttypeMatch {
    checkArgument(type != null, "-m pkttype: the type is null");
  }

  public static PkttypeMatch of(Type type) {
    return new PkttypeMatch(type, false);
  }

  /** This match negated, or not negated if it was. */
  public PkttypeMatch negate() {
    return new PkttypeMatch(type, !negated);
  }

  @Override
  public String module() {
    return "pkttype";
  }

  /** {@code -m pkttype}: iptables' {@code extensions/libxt_pkttype.c}, as iptables-nft 1.8.9 reads it. */
  static final class PkttypeModule extends OneOptionMatchModule<PkttypeMatch> {
    static final PkttypeModule INSTANCE = new PkttypeModule();

    private PkttypeModule() {
      super("pkttype", PkttypeMatch.class, "--pkt-type");
    }

    @Override
    PkttypeMatch read(ModuleContext rule, Token arg, boolean negated) {
      Type t = Type.parse(arg.text());
      if (t == null) {
        throw rule.error(arg, "bad packet type " + quoted(arg.text()) + " for --pkt-type; expected unicast, broadcast,"
            + " multicast or otherhost (or host, bcast, mcast)");
      }
      return new PkttypeMatch(t, negated);
    }

    @Override
    void write(PkttypeMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --pkt-type " : " --pkt-type ").append(m.type().text());
    }
  }
}
