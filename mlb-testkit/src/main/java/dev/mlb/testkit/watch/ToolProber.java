package dev.mlb.testkit.watch;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.ProbeTarget;
import dev.mlb.api.policy.Probing;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.live.ProbeLog;
import dev.mlb.testkit.live.ToolRunner;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Probes through the real tools: ICMP echo with {@code ping} (iputils), TCP connect with {@code
 * socat}, each bound to the uplink's interface and sent with the uplink's connection mark, so the
 * probe leaves through the uplink's own table (mlb's {@code fwmark} rule) whatever the default
 * route, and also while the uplink takes no new connections.
 *
 * <pre>{@code
 * ToolProber p = new ToolProber(ProcessRunner.inNamespace("edge"), Clock.systemUTC());
 * p.command(policy, isp2, ProbeTarget.parse("198.51.100.17"));
 * // [ping, -4, -n, -q, -c, 1, -W, 1, -I, ppp1, -m, 33554432, 198.51.100.17]
 * p.command(policy, isp2, ProbeTarget.parse("tcp:203.0.113.10:443"));
 * // [socat, -T, 1, -u, OPEN:/dev/null, TCP4:203.0.113.10:443,connect-timeout=1,so-bindtodevice=ppp1,setsockopt-int=1:36:33554432]
 * }</pre>
 *
 * <p>A target answers when its tool exits 0: {@code ping} got its echo reply within the timeout,
 * {@code socat} connected (a refused connection is no answer). Anything else, including output
 * the prober cannot read, a tool that fails or never ends, is that target's failure, described in
 * the round's detail; the prober itself never throws for it. The targets of a round run at once.
 */
public final class ToolProber implements Prober {
  /** SOL_SOCKET and SO_MARK, as socat's setsockopt-int wants them. */
  private static final String SO_MARK = "1:36:";
  private static final Pattern RTT = Pattern.compile("= [0-9.]+/([0-9.]+)/");
  /** How much longer than its timeout a tool may take before the prober stops waiting for it. */
  private static final Duration GRACE = Duration.ofSeconds(2);

  private final ToolRunner router;
  private final Clock clock;
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "mlb-probe");
    t.setDaemon(true);
    return t;
  });

  /** A prober running {@code ping} and {@code socat} on {@code router}, timing rounds by {@code clock}. */
  public ToolProber(ToolRunner router, Clock clock) {
    this.router = router;
    this.clock = clock;
  }

  @Override
  public ProbeLog.Round probe(BalancingPolicy policy, Uplink uplink) {
    Probing probing = policy.probing(uplink);
    Instant at = clock.instant();
    List<Future<Answer>> answers = new ArrayList<>();
    for (ProbeTarget t : probing.targets()) {
      List<String> cmd = command(policy, uplink, t);
      answers.add(pool.submit(() -> ask(t, cmd, probing.timeout())));
    }
    int answered = 0;
    List<String> detail = new ArrayList<>();
    long waitMillis = probing.timeout().plus(GRACE).toMillis();
    for (int i = 0; i < answers.size(); i++) {
      Answer a;
      try {
        a = answers.get(i).get(waitMillis, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        answers.get(i).cancel(true);
        a = new Answer(false, "the probe did not end within " + Duration.ofMillis(waitMillis).toMillis() + " ms");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        a = new Answer(false, "interrupted");
      } catch (ExecutionException e) {
        a = new Answer(false, String.valueOf(e.getCause().getMessage()));
      }
      if (a.ok()) {
        answered++;
      }
      detail.add(probing.targets().get(i) + ": " + a.text());
    }
    if (probing.targets().isEmpty()) {
      detail.add("no probe target (no gateway, no health targets)");
    }
    return new ProbeLog.Round(at, answered >= probing.reliability() && answered > 0, String.join("; ", detail));
  }

  /** The command that probes {@code target} through {@code uplink}. */
  public List<String> command(BalancingPolicy policy, Uplink uplink, ProbeTarget target) {
    String mark = Integer.toUnsignedString((int) policy.mark(uplink).value());
    String iface = uplink.iface().name();
    String seconds = seconds(policy.probing(uplink).timeout());
    String address = target.address().toString();
    boolean v4 = target.family() == IpFamily.V4;
    if (target.isTcp()) {
      String host = v4 ? "TCP4:" + address : "TCP6:[" + address + "]";
      return ImmutableList.of("socat", "-T", seconds, "-u", "OPEN:/dev/null",
          host + ":" + target.tcpPort().getAsInt() + ",connect-timeout=" + seconds + ",so-bindtodevice=" + iface
              + ",setsockopt-int=" + SO_MARK + (int) policy.mark(uplink).value());
    }
    return ImmutableList.of("ping", v4 ? "-4" : "-6", "-n", "-q", "-c", "1", "-W", seconds, "-I", iface, "-m", mark,
        address);
  }

  private record Answer(boolean ok, String text) {}

  private Answer ask(ProbeTarget target, List<String> cmd, Duration timeout) {
    long start = System.nanoTime();
    ToolRunner.Result r;
    try {
      r = router.run(cmd, "");
    } catch (RuntimeException e) {
      return new Answer(false, "cannot probe: " + e.getMessage());
    }
    double ms = (System.nanoTime() - start) / 1e6;
    if (r.exitCode() == 0) {
      if (target.isTcp()) {
        return new Answer(true, String.format(Locale.ROOT, "connected in %.1f ms", ms));
      }
      Matcher m = RTT.matcher(r.stdout());
      return new Answer(true, m.find() ? "answered in " + m.group(1) + " ms" : "answered");
    }
    String why = lastLine(r.stderr());
    if (!target.isTcp() && r.exitCode() == 1 && why.isEmpty()) {
      return new Answer(false, "no answer within " + seconds(timeout) + "s");
    }
    return new Answer(false, (why.isEmpty() ? "no answer" : why) + " (" + cmd.get(0) + " exited " + r.exitCode() + ")");
  }

  private static String lastLine(String text) {
    List<String> lines = text.strip().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    // socat prefixes its messages with a date, its pid and a level: keep the message.
    return last.replaceFirst("^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d+)? socat\\[\\d+\\] [A-Z] ", "");
  }

  /** {@code 1}, {@code 0.5}: a duration in seconds as the tools take it. */
  static String seconds(Duration d) {
    return BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
  }
}
