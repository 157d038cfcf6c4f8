package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code -m string [!] --string TEXT | [!] --hex-string HEX --algo bm|kmp [--from N] [--to N]
 * [--icase]}: matches packets whose bytes from offset {@code from} to {@code to} contain the
 * pattern.
 *
 * <pre>{@code
 * StringMatch.of("GET /admin", StringMatch.Algorithm.BM)   // -m string --string "GET /admin" --algo bm
 * StringMatch.of(new byte[] {0, 1}, Algorithm.KMP)         // -m string --hex-string "|0001|" --algo kmp
 * StringMatch.of("host", Algorithm.BM).within(0, 64).ignoringCase().inverted()
 *     // -m string ! --string "host" --algo bm --to 64 --icase
 * }</pre>
 *
 * <p>The pattern is bytes (text is taken as UTF-8). As {@code iptables-save} prints it
 * ({@code string_save} of iptables' {@code extensions/libxt_string.c}): {@code --string "TEXT"}
 * with {@code "} and {@code \} escaped by a backslash when every byte is printable ASCII and the
 * last is not a backslash, otherwise {@code --hex-string "|HEX|"} (two lower-case hex digits a
 * byte); then {@code --algo}, {@code --from} unless 0, {@code --to} unless 65535 and
 * {@code --icase}. So the text is always one quoted word that cannot carry a line break or end
 * its quotes early: a pattern cannot add words to the rule. iptables reads a hex string as text
 * with {@code |..|} blocks of hex pairs (blanks between pairs allowed) and {@code \x} for a literal
 * x outside them. The kernel takes the algorithms bm and kmp (fsm wants a token program, not a
 * string), patterns of 1 to 128 bytes and {@code from} not above {@code to}. The simulator does
 * not model {@code -m string}.
 *
 * @param pattern the bytes to look for (1 to {@link #MAX_PATTERN_BYTES}); copied in and out
 * @param algorithm the kernel's text search algorithm
 * @param from the first offset searched
 * @param to the last offset searched
 * @param ignoreCase {@code --icase}
 * @param negated {@code ! --string}: match packets without the pattern
 */
public record StringMatch(byte[] pattern, Algorithm algorithm, int from, int to, boolean ignoreCase,
    boolean negated) implements Match {

  /** The kernel's {@code XT_STRING_MAX_PATTERN_SIZE}. */
  public static final int MAX_PATTERN_BYTES = 128;
  /** The largest offset, and the {@code --to} iptables fills in. */
  public static final int MAX_OFFSET = 0xFFFF;

  /** The text search algorithms the kernel takes for a string pattern. */
  public enum Algorithm {
    /** Boyer-Moore. */
    BM,
    /** Knuth-Morris-Pratt. */
    KMP;

    /** {@code bm} or {@code kmp}, as iptables names it. */
    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public StringMatch {
    checkArgument(pattern != null, "-m string: the pattern is null");
    checkArgument(algorithm != null, "-m string: the algorithm is null; expected BM or KMP");
    pattern = pattern.clone();
  }

  /** {@code -m string --string TEXT --algo ALGORITHM}: TEXT in UTF-8. */
  public static StringMatch of(String text, Algorithm algorithm) {
    checkArgument(text != null, "-m string: the text is null");
    return of(text.getBytes(StandardCharsets.UTF_8), algorithm);
  }

  /** {@code -m string --hex-string |HEX| --algo ALGORITHM}. */
  public static StringMatch of(byte[] pattern, Algorithm algorithm) {
    return new StringMatch(pattern, algorithm, 0, MAX_OFFSET, false, false);
  }

  /** This match searching offsets {@code from} to {@code to} only. */
  public StringMatch within(int from, int to) {
    return new StringMatch(pattern, algorithm, from, to, ignoreCase, negated);
  }

  /** This match with {@code --icase}. */
  public StringMatch ignoringCase() {
    return new StringMatch(pattern, algorithm, from, to, true, negated);
  }

  /** This match negated: packets without the pattern. */
  public StringMatch inverted() {
    return new StringMatch(pattern, algorithm, from, to, ignoreCase, !negated);
  }

  @Override
  public byte[] pattern() {
    return pattern.clone();
  }

  /** Whether iptables-save prints the pattern as {@code --hex-string} (is_hex_string). */
  public boolean printsAsHex() {
    for (byte b : pattern) {
      if (b < 0x20 || b > 0x7e) {
        return true;
      }
    }
    return pattern.length > 0 && pattern[pattern.length - 1] == '\\';
  }

  @Override
  public String module() {
    return "string";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StringMatch m && Arrays.equals(pattern, m.pattern) && algorithm == m.algorithm
        && from == m.from && to == m.to && ignoreCase == m.ignoreCase && negated == m.negated;
  }

  @Override
  public int hashCode() {
    return ((Arrays.hashCode(pattern) * 31 + algorithm.hashCode()) * 31 + from * 65537 + to) * 4
        + (ignoreCase ? 2 : 0) + (negated ? 1 : 0);
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("-m string");
    StringModule.INSTANCE.write(this, out);
    return out.toString();
  }

  /** {@code -m string}: iptables' {@code extensions/libxt_string.c}, as iptables-nft 1.8.9 reads it. */
  static final class StringModule extends MatchModule<StringMatch> {
    static final StringModule INSTANCE = new StringModule();

    private static final List<String> OPTIONS = List.of("--from", "--to", "--algo", "--string", "--hex-string",
        "--icase");
    private static final Set<String> FLAGS = Set.of("--icase");
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private StringModule() {
      super("string", StringMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    boolean negatable(String option) {
      return option.equals("--string") || option.equals("--hex-string");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "string", at, rule) {
        private byte[] pattern;
        private boolean patternNegated;
        private Algorithm algorithm;
        private int from;
        private int to = MAX_OFFSET;

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--string", "--hex-string" -> {
              String other = option.equals("--string") ? "--hex-string" : "--string";
              if (given.containsKey(other)) {
                throw error(optionToken, "-m string: --string and --hex-string cannot be given together");
              }
              pattern = option.equals("--string") ? text(arg) : hex(arg);
              patternNegated = optionNegated;
            }
            case "--algo" -> algorithm = algorithm(arg);
            case "--from" -> from = offset(arg, option);
            case "--to" -> to = offset(arg, option);
            default -> { }
          }
        }

        private byte[] text(Token arg) {
          byte[] bytes = arg.text().getBytes(StandardCharsets.UTF_8);
          if (bytes.length > MAX_PATTERN_BYTES) {
            throw error(arg, "--string is " + bytes.length + " bytes; the kernel takes at most "
                + MAX_PATTERN_BYTES);
          }
          return bytes;
        }

        /** parse_hex_string: text, {@code |..|} blocks of hex pairs, {@code \x} for a literal x. */
        private byte[] hex(Token arg) {
          byte[] s = arg.text().getBytes(StandardCharsets.UTF_8);
          if (s.length == 0) {
            throw error(arg, "--hex-string is empty; expected at least one byte");
          }
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          boolean inHex = false;
          int i = 0;
          while (i < s.length) {
            if (out.size() >= MAX_PATTERN_BYTES) {
              throw error(arg, "--hex-string " + quoted(arg.text()) + " is longer than the " + MAX_PATTERN_BYTES
                  + " bytes the kernel takes");
            }
            boolean literal = false;
            if (s[i] == '\\' && !inHex) {
              literal = true;
            } else if (s[i] == '\\') {
              throw error(arg, "--hex-string " + quoted(arg.text()) + ": a \\ cannot stand inside |..|");
            } else if (s[i] == '|') {
              inHex = !inHex;
              if (inHex) {
                while (i + 1 < s.length && s[i + 1] == ' ') {
                  i++;
                }
              }
              if (i + 1 >= s.length) {
                break;
              }
              i++;
            }
            if (literal) {
              if (i + 1 >= s.length) {
                throw error(arg, "--hex-string " + quoted(arg.text()) + " ends in a \\; expected a character after it");
              }
              out.write(s[i + 1]);
              i += 2;
            } else if (inHex) {
              if (i + 2 >= s.length) {
                throw error(arg, "--hex-string " + quoted(arg.text()) + ": a |..| block is not closed or holds an"
                    + " odd number of hex digits; expected pairs of hex digits between two |");
              }
              int hi = Character.digit(s[i], 16);
              int lo = Character.digit(s[i + 1], 16);
              if (hi < 0 || lo < 0) {
                char bad = (char) (hi < 0 ? s[i] & 0xff : s[i + 1] & 0xff);
                throw error(arg, "--hex-string " + quoted(arg.text()) + ": " + TextChecks.describe(bad)
                    + " is not a hex digit; expected pairs of hex digits between two |");
              }
              out.write(hi * 16 + lo);
              i += s[i + 2] == ' ' ? 3 : 2;
            } else {
              out.write(s[i]);
              i++;
            }
          }
          return out.toByteArray();
        }

        private Algorithm algorithm(Token arg) {
          for (Algorithm a : Algorithm.values()) {
            if (a.text().equals(arg.text())) {
              return a;
            }
          }
          throw error(arg, "-m string: algorithm " + quoted(arg.text()) + " unknown; expected bm or kmp (the"
              + " kernel's fsm takes a token program, not a string)");
        }

        private int offset(Token arg, String option) {
          long n = Numbers.parseUnsigned(arg.text(), MAX_OFFSET);
          if (n < 0) {
            throw error(arg, "bad value " + quoted(arg.text()) + " for " + option + "; expected an offset from 0 to "
                + MAX_OFFSET);
          }
          return (int) n;
        }

        @Override
        Match finish() {
          if (pattern == null) {
            throw error(at, "-m string needs --string TEXT or --hex-string HEX");
          }
          require("--algo");
          if (pattern.length == 0) {
            throw error(given.get("--string"), "--string is empty; the kernel wants at least one byte");
          }
          if (from > to) {
            throw error(given.get("--from"), "-m string --from " + from + " is above --to " + to
                + "; the kernel refuses it");
          }
          return new StringMatch(pattern, algorithm, from, to, given.containsKey("--icase"), patternNegated);
        }
      };
    }

    @Override
    void write(StringMatch m, StringBuilder out) {
      byte[] p = m.pattern;
      if (m.printsAsHex()) {
        out.append(m.negated() ? " ! --hex-string \"|" : " --hex-string \"|");
        for (byte b : p) {
          out.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
        }
        out.append("|\"");
      } else {
        out.append(m.negated() ? " ! --string \"" : " --string \"");
        for (byte b : p) {
          if (b == '"' || b == '\\') {
            out.append('\\');
          }
          out.append((char) b);
        }
        out.append('"');
      }
      out.append(" --algo ").append(m.algorithm().text());
      if (m.from() != 0) {
        out.append(" --from ").append(m.from());
      }
      if (m.to() != MAX_OFFSET) {
        out.append(" --to ").append(m.to());
      }
      if (m.ignoreCase()) {
        out.append(" --icase");
      }
    }

    @Override
    void check(StringMatch m, RuleContext rule, Findings findings) {
      int n = m.pattern.length;
      if (n < 1 || n > MAX_PATTERN_BYTES) {
        findings.error("string-pattern", "-m string pattern is " + n + " bytes; the kernel takes 1 to "
            + MAX_PATTERN_BYTES);
      }
      if (m.from() < 0 || m.to() > MAX_OFFSET || m.from() > m.to()) {
        findings.error("string-offset", "-m string --from " + m.from() + " --to " + m.to()
            + ": expected offsets from 0 to " + MAX_OFFSET + " with --from not above --to");
      }
    }
  }
}
