package dev.mlb.testkit.kernel;

import dev.mlb.testkit.live.ProcessRunner;
import dev.mlb.testkit.live.ToolRunner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A router namespace for the live tests: links {@code ppp0}, {@code ppp1} (uplinks), {@code eth0}
 * (LAN) and {@code wg0} (a VPN), each a veth with its peer in the same namespace, addressed in
 * both families; the real tools run inside it through a {@link ProcessRunner}.
 *
 * <pre>{@code
 * try (LiveLab lab = LiveLab.create("apply")) {
 *   lab.runner().run(List.of("iptables-nft-restore"), rules).check();
 * }
 * }</pre>
 */
public final class LiveLab implements AutoCloseable {
  private final IprouteLab lab;

  private LiveLab(IprouteLab lab) {
    this.lab = lab;
  }

  /** A fresh namespace with the four links up and addressed. */
  public static LiveLab create(String purpose) {
    Map<String, String> veths = new LinkedHashMap<>();
    for (String l : List.of("ppp0", "ppp1", "eth0", "wg0")) {
      veths.put(l, l + "p");
    }
    return new LiveLab(IprouteLab.create(purpose, veths, List.of(
        "198.51.100.2/28 dev ppp0", "2001:db8:1::2/64 dev ppp0",
        "198.51.100.18/28 dev ppp1", "2001:db8:2::2/64 dev ppp1",
        "192.0.2.1/24 dev eth0", "2001:db8:ff::1/64 dev eth0",
        "203.0.113.201/32 dev wg0")));
  }

  /** The namespace's name, for {@code --netns}. */
  public String name() {
    return lab.ns.name();
  }

  /** The namespace, to run other commands in it (ping, counters). */
  public Netns ns() {
    return lab.ns;
  }

  /** The real tools inside the namespace. */
  public ToolRunner runner() {
    return ProcessRunner.inNamespace(name());
  }

  @Override
  public void close() {
    lab.close();
  }
}
