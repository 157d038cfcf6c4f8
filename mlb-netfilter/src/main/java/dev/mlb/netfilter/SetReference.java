package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * An ipset named by a rule, with the packet fields it is looked up by: {@code NAME src,dst} after
 * {@code -m set --match-set} and after {@code -j SET --add-set}, {@code --del-set} or {@code --map-set}.
 *
 * <pre>{@code
 * SetReference.of("blocklist", Direction.SRC)                    // blocklist src
 * SetReference.of("svc", Direction.DST, Direction.DST)           // svc dst,dst  (hash:ip,port: address and port)
 * SetReference.of("svc", Direction.DST).toString()               // "svc dst"
 * }</pre>
 *
 * <p>The i-th direction says which side of the packet gives the set's i-th field (the address of
 * a {@code hash:ip}; the address, then the port of a {@code hash:ip,port}). iptables takes 1 to 6
 * of them ({@code IPSET_DIM_MAX}); the kernel never finds a packet in a set with more fields than
 * directions, and ignores the directions after the set's fields. Which sets exist, and their
 * fields and families, {@link IpSets} tells validation.
 *
 * @param name the set's name: 1 to 31 characters ({@code IPSET_MAXNAMELEN} - 1), without blanks
 * @param directions where each field of the set comes from, 1 to 6
 */
public record SetReference(String name, ImmutableList<Direction> directions) {

  /** The longest set name iptables takes. */
  public static final int MAX_NAME = 31;
  /** The most directions iptables takes ({@code IPSET_DIM_MAX}). */
  public static final int MAX_DIRECTIONS = 6;

  /** Which side of the packet a field of the set is taken from. */
  public enum Direction {
    /** The source address (or port, ...): {@code src}. */
    SRC,
    /** The destination address (or port, ...): {@code dst}. */
    DST;

    /** {@code src} or {@code dst}. */
    @Override
    public String toString() {
      return this == SRC ? "src" : "dst";
    }
  }

  public SetReference {
    checkArgument(name != null, "ipset name is null");
    checkArgument(!name.isEmpty(), "ipset name is empty; expected 1 to %s characters", MAX_NAME);
    checkArgument(name.length() <= MAX_NAME, "ipset name \"%s\" is %s characters; iptables takes at most %s",
        name, name.length(), MAX_NAME);
    checkArgument(name.chars().allMatch(c -> c > ' ' && c != 0x7f && c != '"' && c != '\''),
        "ipset name \"%s\" holds a blank, a control character or a quote; iptables-save could not print it"
            + " as one word", TextChecks.escape(name));
    checkArgument(directions != null, "ipset %s: the directions are null", name);
    directions = ImmutableList.copyOf(directions);
    checkArgument(!directions.isEmpty() && directions.size() <= MAX_DIRECTIONS,
        "ipset %s: %s directions; expected 1 to %s (src or dst each)", name, directions.size(), MAX_DIRECTIONS);
  }

  /** {@code NAME DIRECTION[,DIRECTION...]}. */
  public static SetReference of(String name, Direction first, Direction... rest) {
    return new SetReference(name, ImmutableList.<Direction>builder().add(first).add(rest).build());
  }

  /** {@code NAME} with {@code directions}. */
  public static SetReference of(String name, List<Direction> directions) {
    return new SetReference(name, ImmutableList.copyOf(directions));
  }

  /** {@code name src,dst}, as iptables-save prints it. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder(name).append(' ');
    appendDirections(out);
    return out.toString();
  }

  void appendDirections(StringBuilder out) {
    for (int i = 0; i < directions.size(); i++) {
      out.append(i == 0 ? "" : ",").append(directions.get(i));
    }
  }

  /**
   * The set's name and directions as iptables 1.8.9 reads them ({@code parse_dirs} of
   * {@code extensions/libxt_set.h}): the directions split at commas, each word taken as
   * {@code src} or {@code dst} by its first three letters ({@code srcdst} is {@code src}), at
   * most six; the errors name {@code option}.
   */
  static SetReference read(ModuleContext rule, String option, Token name, Token dirs) {
    if (dirs.text().startsWith("-") || dirs.text().startsWith("!")) {
      throw rule.error(dirs, option + " requires two arguments, the set's name and its directions (src or dst,"
          + " comma-separated); got " + Arguments.quoted(dirs.text()) + " after the name");
    }
    String n = name.text();
    if (n.isEmpty()) {
      throw rule.error(name, option + ": the set name is empty; expected the name of an ipset");
    }
    if (n.length() > MAX_NAME) {
      throw rule.error(name, option + ": set name " + Arguments.quoted(n) + " is " + n.length()
          + " characters; iptables takes at most " + MAX_NAME);
    }
    if (!n.chars().allMatch(c -> c > ' ' && c != 0x7f && c != '"' && c != '\'')) {
      throw rule.error(name, option + ": set name " + Arguments.quoted(TextChecks.escape(n))
          + " holds a blank, a control character or a quote; expected an ipset name");
    }
    String[] words = dirs.text().split(",", -1);
    if (words.length > MAX_DIRECTIONS) {
      throw rule.error(dirs, option + " " + n + ": " + words.length + " directions in " + Arguments.quoted(dirs.text())
          + "; iptables takes at most " + MAX_DIRECTIONS);
    }
    ImmutableList.Builder<Direction> out = ImmutableList.builder();
    for (String w : words) {
      if (w.startsWith("src")) {
        out.add(Direction.SRC);
      } else if (w.startsWith("dst")) {
        out.add(Direction.DST);
      } else {
        throw rule.error(dirs, option + " " + n + ": bad direction " + Arguments.quoted(w) + " in "
            + Arguments.quoted(dirs.text()) + "; expected src or dst, comma-separated (src,dst)");
      }
    }
    return new SetReference(n, out.build());
  }
}
