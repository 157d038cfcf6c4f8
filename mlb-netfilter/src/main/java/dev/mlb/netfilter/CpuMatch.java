package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;

/**
 * {@code -m cpu [!] --cpu N}: matches packets handled by CPU {@code N} (or, negated, by any other).
 *
 * <pre>{@code
 * CpuMatch.of(0)            // -m cpu --cpu 0
 * CpuMatch.of(3).negate()   // -m cpu ! --cpu 3
 * }</pre>
 *
 * <p>{@code iptables-save} prints the number in decimal ({@code cpu_save} of
 * {@code extensions/libxt_cpu.c}). The simulator does not model {@code -m cpu}.
 *
 * @param cpu the CPU's number, 0 to 4294967295
 * @param negated whether {@code ! --cpu}
 */
public record CpuMatch(long cpu, boolean negated) implements Match {

  /** The largest CPU number iptables takes ({@code UINT32_MAX}). */
  public static final long MAX_CPU = 0xFFFF_FFFFL;

  public CpuMatch {
    checkArgument(cpu >= 0 && cpu <= MAX_CPU, "-m cpu: CPU %s is outside 0 to %s", cpu, MAX_CPU);
  }

  /** {@code --cpu cpu}. */
  public static CpuMatch of(long cpu) {
    return new CpuMatch(cpu, false);
  }

  /** The negated match ({@code ! --cpu}). */
  public CpuMatch negate() {
    return new CpuMatch(cpu, !negated);
  }

  @Override
  public String module() {
    return "cpu";
  }

  /** {@code -m cpu}: iptables' {@code extensions/libxt_cpu.c}, as iptables-nft 1.8.9 reads it. */
  static final class CpuModule extends OneOptionMatchModule<CpuMatch> {
    static final CpuModule INSTANCE = new CpuModule();

    private CpuModule() {
      super("cpu", CpuMatch.class, "--cpu");
    }

    @Override
    CpuMatch read(ModuleContext rule, Token arg, boolean negated) {
      long n = Numbers.parseUnsigned(arg.text(), MAX_CPU);
      if (n < 0) {
        throw rule.error(arg, "-m cpu: bad value " + quoted(arg.text()) + " for --cpu; expected a number from 0 to "
            + MAX_CPU);
      }
      return new CpuMatch(n, negated);
    }

    @Override
    void write(CpuMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --cpu " : " --cpu ").append(m.cpu());
    }
  }
}
