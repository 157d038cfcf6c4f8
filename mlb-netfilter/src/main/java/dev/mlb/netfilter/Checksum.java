package dev.mlb.netfilter;

import java.util.List;
import java.util.Set;

/**
 * {@code -j CHECKSUM --checksum-fill}: computes the checksum of packets that still lack one (as
 * packets handed to a virtual machine may) and goes on with the next rule. Only in the mangle
 * table.
 *
 * <pre>{@code
 * Checksum.fill()     // -j CHECKSUM --checksum-fill
 * }</pre>
 *
 * <p>iptables refuses the target without {@code --checksum-fill}.
 */
public record Checksum() implements Target {

  private static final Checksum FILL = new Checksum();

  /** {@code --checksum-fill}. */
  public static Checksum fill() {
    return FILL;
  }

  @Override
  public String name() {
    return "CHECKSUM";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j CHECKSUM}: iptables' {@code extensions/libxt_CHECKSUM.c}, as iptables-nft 1.8.9 reads it. */
  static final class ChecksumModule extends TargetModule<Checksum> {
    static final ChecksumModule INSTANCE = new ChecksumModule();

    private static final List<String> OPTIONS = List.of("--checksum-fill");

    private ChecksumModule() {
      super("CHECKSUM", List.of(Checksum.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return Set.copyOf(OPTIONS);
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        @Override
        void value(Token option, Token arg) {}

        @Override
        Target finish() {
          if (given.isEmpty()) {
            throw error(at, "-j CHECKSUM needs --checksum-fill");
          }
          return FILL;
        }
      };
    }

    @Override
    void write(Checksum t, StringBuilder out) {
      out.append(" -j CHECKSUM --checksum-fill");
    }

    @Override
    void check(Checksum t, RuleContext rule, Findings findings) {
      Tos.checkMangle("CHECKSUM", rule, findings);
    }
  }
}
