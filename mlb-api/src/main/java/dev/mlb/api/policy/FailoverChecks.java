package dev.mlb.api.policy;

import dev.mlb.api.Finding;
import dev.mlb.api.IpPrefix;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks of tiers, health probing and the down set, part of {@link BalancingPolicy#validate()}
 * (same conventions as {@link PolicyValidator}: the location is the field path, the message names
 * the value and what was expected).
 */
final class FailoverChecks {
  static final int MAX_TIER = 100;
  static final int MAX_ROUNDS = 100;
  static final Duration MIN_INTERVAL = Duration.ofMillis(100);
  static final Duration MAX_INTERVAL = Duration.ofHours(1);
  static final Duration MIN_TIMEOUT = Duration.ofMillis(10);

  private final BalancingPolicy p;
  private final List<Finding> out;

  private FailoverChecks(BalancingPolicy p, List<Finding> out) {
    this.p = p;
    this.out = out;
  }

  static void check(BalancingPolicy p, List<Finding> out) {
    FailoverChecks c = new FailoverChecks(p, out);
    c.tiers();
    c.health("health", p.health());
    for (int i = 0; i < p.uplinks().size(); i++) {
      c.health("uplinks[" + i + "].health", p.uplinks().get(i).health());
    }
    c.resolved();
    c.down();
    c.multipath();
  }

  private void error(String code, String location, String message) {
    out.add(Finding.error(code, location, message));
  }

  private void tiers() {
    for (int i = 0; i < p.uplinks().size(); i++) {
      int tier = p.uplinks().get(i).tier();
      if (tier < 1 || tier > MAX_TIER) {
        error("tier-range", "uplinks[" + i + "].tier",
            tier + " is out of range; expected 1 (the best) to " + MAX_TIER);
      }
    }
  }

  /** The settings as given in one health block. */
  private void health(String at, Health h) {
    Set<ProbeTarget> seen = new HashSet<>();
    for (int t = 0; t < h.targets().size(); t++) {
      ProbeTarget target = h.targets().get(t);
      String where = at + ".targets[" + t + "]";
      String kind = PolicyValidator.nonUnicast(target.address());
      if (!seen.add(target)) {
        error("duplicate-probe-target", where, target + " is listed twice; expected each target once");
      } else if (kind != null) {
        error("probe-target-address", where,
            target + ": " + target.address() + " is " + kind + "; expected a unicast address beyond the provider");
      } else if (!p.families().contains(target.family())) {
        error("probe-target-family", where,
            target + " is an " + PolicyValidator.name(target.family()) + " address, but the policy compiles "
                + PolicyValidator.names(p.families()) + " only; expected an address of a compiled family");
      } else {
        for (IpPrefix lan : p.lanPrefixes()) {
          if (lan.length() > 0 && lan.contains(target.address())) {
            error("probe-target-on-lan", where,
                target + " lies inside the LAN prefix " + lan + " (a probe of it never leaves through the"
                    + " uplink); expected an address beyond the provider");
            break;
          }
        }
      }
    }
    h.interval().ifPresent(d -> wholeMillis(at + ".interval", d));
    h.timeout().ifPresent(d -> wholeMillis(at + ".timeout", d));
    h.interval().ifPresent(d -> {
      if (d.compareTo(MIN_INTERVAL) < 0 || d.compareTo(MAX_INTERVAL) > 0) {
        error("probe-interval", at + ".interval", format(d) + " is out of range; expected 100ms to 1h");
      }
    });
    h.timeout().ifPresent(d -> {
      if (d.compareTo(MIN_TIMEOUT) < 0) {
        error("probe-timeout", at + ".timeout", format(d) + " is too short; expected at least 10ms");
      }
    });
    rounds(at + ".down", h.down().isPresent() ? h.down().getAsInt() : null, "failed");
    rounds(at + ".up", h.up().isPresent() ? h.up().getAsInt() : null, "successful");
    if (h.reliability().isPresent() && h.reliability().getAsInt() < 1) {
      error("probe-reliability", at + ".reliability",
          h.reliability().getAsInt() + " is out of range; expected at least 1 target answering");
    }
  }

  private void wholeMillis(String at, Duration d) {
    if (d.toNanosPart() % 1_000_000 != 0) {
      error("probe-duration", at, format(d) + " is not a whole number of milliseconds; expected whole milliseconds");
    }
  }

  private void rounds(String at, Integer n, String what) {
    if (n != null && (n < 1 || n > MAX_ROUNDS)) {
      error("probe-rounds", at, n + " is out of range; expected 1 to " + MAX_ROUNDS + " " + what + " rounds in a row");
    }
  }

  /** What only the resolved settings of an uplink show: a timeout beyond the interval, too few targets. */
  private void resolved() {
    for (int i = 0; i < p.uplinks().size(); i++) {
      Uplink u = p.uplinks().get(i);
      Probing probing = p.probing(u);
      String at = "uplinks[" + i + "].health";
      if (probing.timeout().compareTo(probing.interval()) > 0 && probing.interval().compareTo(MIN_INTERVAL) >= 0) {
        // The location of the setting that was given: the timeout's, or (default timeout) the interval's.
        String where = u.health().timeout().isPresent() ? at + ".timeout"
            : p.health().timeout().isPresent() ? "health.timeout"
            : u.health().interval().isPresent() ? at + ".interval" : "health.interval";
        error("probe-timeout", where,
            format(probing.timeout()) + " is longer than " + u.name() + "'s probe interval " + format(probing.interval())
                + "; expected at most the interval (a round ends before the next starts)");
      }
      int targets = probing.targets().size();
      if (targets > 0 && probing.reliability() > targets) {
        String where = u.health().reliability().isPresent() ? at + ".reliability" : "health.reliability";
        error("probe-reliability", where,
            probing.reliability() + " targets must answer, but " + u.name() + " has " + targets
                + (targets == 1 ? " target" : " targets") + "; expected at most " + targets);
      }
    }
  }

  private void down() {
    Set<String> names = new HashSet<>();
    p.uplinks().forEach(u -> names.add(u.name()));
    for (String d : p.down()) {
      if (!names.contains(d)) {
        error("down-unknown", "down", PolicyValidator.quote(d) + " is no uplink's name; expected one of "
            + String.join(", ", p.uplinks().stream().map(Uplink::name).toList()));
      }
    }
    if (!p.uplinks().isEmpty() && names.equals(p.down()) && p.allDown() == AllDown.KEEP_LAST) {
      error("down-all-keep-last", "down",
          "every uplink is down and all-down is keep-last; expected the uplinks that last carried connections"
              + " to be left up (mlb watch and mlb apply --down do so)");
    }
  }

  private void multipath() {
    if (p.strategy() != Strategy.MULTIPATH) {
      return;
    }
    String why = "strategy multipath cannot fail over: its flow hash moves connections of live uplinks when"
        + " a nexthop leaves the route; expected strategy nth or random";
    for (int i = 0; i < p.uplinks().size(); i++) {
      if (p.uplinks().get(i).tier() != 1) {
        error("failover-multipath", "uplinks[" + i + "].tier", "tier " + p.uplinks().get(i).tier() + ": " + why);
        return;
      }
    }
    if (!p.down().isEmpty()) {
      error("failover-multipath", "down", String.join(", ", p.down()) + " down: " + why);
    }
  }

  /** A duration as the policy file writes it: {@code 1s}, {@code 500ms}, {@code 2m}. */
  static String format(Duration d) {
    long ms = d.toMillis();
    if (d.toNanosPart() % 1_000_000 != 0 || ms == 0) {
      return d.toNanos() + "ns";
    }
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
