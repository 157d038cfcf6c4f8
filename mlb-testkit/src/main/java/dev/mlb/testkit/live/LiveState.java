package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.iproute.IpJsonParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.Table;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A router as it is, read through a {@link ToolRunner}: the rules of the iptables backend it
 * uses, its ip rules and routes, some sysctl values and its WireGuard firewall marks.
 *
 * <pre>{@code
 * LiveState now = LiveState.read(ProcessRunner.inNamespace("edge"), Set.of(IpFamily.V4), "mlb-",
 *     List.of("net.ipv4.ip_forward"));
 * now.backend();                       // NFT
 * now.ruleset(IpFamily.V4);            // iptables-nft-save, parsed with mlb's own parser
 * now.routing(IpFamily.V4).rules();    // ip -json rule show, parsed
 * now.sysctl().get("net.ipv4.ip_forward");   // "0"
 * }</pre>
 *
 * <p><b>Backend.</b> Rules loaded with {@code iptables-legacy} and with {@code iptables-nft} live
 * in different kernel tables. mlb uses the backend its own chains are in; if they are in neither,
 * the one whose tables hold other software's rules; if both or neither do, the one the host's
 * {@code iptables} command uses ({@code iptables -V}). Chains with mlb's prefix in both backends
 * are refused: mlb cannot tell which set is live.
 *
 * @param backend the iptables backend mlb reads and writes
 * @param saves what {@code iptables-save} and {@code ip6tables-save} of that backend printed, per family
 * @param rulesets the saves, parsed
 * @param routing {@code ip -json rule show} and {@code route show table all}, parsed, per family
 * @param sysctl the values of the keys asked for that exist, by key
 * @param wireguardMarks the firewall mark of each WireGuard interface that has one, by interface
 *     ({@code wg show all fwmark}); empty where {@code wg} is not installed
 */
public record LiveState(Backend backend, ImmutableMap<IpFamily, String> saves, ImmutableMap<IpFamily, Ruleset> rulesets,
    ImmutableMap<IpFamily, RoutingPlan> routing, ImmutableSortedMap<String, String> sysctl,
    ImmutableSortedMap<String, Long> wireguardMarks) {

  /** The parsed rules of {@code family}. */
  public Ruleset ruleset(IpFamily family) {
    return rulesets.get(family);
  }

  /** The parsed ip rules and routes of {@code family}. */
  public RoutingPlan routing(IpFamily family) {
    return routing.get(family);
  }

  /**
   * Reads the router.
   *
   * @param families the families to read rules and routes of
   * @param ownedPrefix the prefix of mlb's chains, to find the backend mlb's rules are in
   * @param sysctlKeys the sysctl values to read (missing ones are left out)
   * @throws LiveException if the rules are in both backends, or a tool's output cannot be read
   * @throws ToolRunner.ToolMissingException if {@code iptables} or {@code ip} is not installed
   */
  public static LiveState read(ToolRunner router, Set<IpFamily> families, String ownedPrefix,
      Collection<String> sysctlKeys) {
    return read(router, chooseBackend(router, families, ownedPrefix), families, sysctlKeys);
  }

  /** {@link #read(ToolRunner, Set, String, Collection)} with the backend given. */
  public static LiveState read(ToolRunner router, Backend backend, Set<IpFamily> families,
      Collection<String> sysctlKeys) {
    Map<IpFamily, String> saves = new EnumMap<>(IpFamily.class);
    Map<IpFamily, Ruleset> rulesets = new EnumMap<>(IpFamily.class);
    Map<IpFamily, RoutingPlan> routing = new EnumMap<>(IpFamily.class);
    for (IpFamily f : IpFamily.values()) {
      if (!families.contains(f)) {
        continue;
      }
      String save = router.run(backend.save(f)).check().stdout();
      saves.put(f, save);
      rulesets.put(f, parseSave(backend.save(f), save, f));
      String flag = f == IpFamily.V4 ? "-4" : "-6";
      String rules = router.run("ip", flag, "-json", "rule", "show").check().stdout();
      String routes = router.run("ip", flag, "-json", "route", "show", "table", "all").check().stdout();
      try {
        routing.put(f, IpJsonParser.parse("ip " + flag + " -json", rules, routes, f));
      } catch (ParseException e) {
        throw new LiveException("cannot read the router's " + (f == IpFamily.V4 ? "IPv4" : "IPv6")
            + " ip rules and routes: " + e.getMessage());
      }
    }
    Map<String, String> values = new TreeMap<>();
    for (String key : sysctlKeys) {
      ToolRunner.Result r = router.run("sysctl", "-n", key);
      if (r.ok()) {
        values.put(key, r.stdout().strip());
      }
    }
    return new LiveState(backend, ImmutableMap.copyOf(saves), ImmutableMap.copyOf(rulesets),
        ImmutableMap.copyOf(routing), ImmutableSortedMap.copyOf(values), wireguardMarks(router));
  }

  static Ruleset parseSave(String tool, String save, IpFamily family) {
    try {
      return RestoreParser.parse(tool, save, family);
    } catch (ParseException e) {
      throw new LiveException("cannot read what " + tool + " printed: " + e.getMessage());
    }
  }

  /** The backend mlb works with on this router (see the class comment). */
  static Backend chooseBackend(ToolRunner router, Set<IpFamily> families, String ownedPrefix) {
    Backend host = hostBackend(router);
    Map<Backend, List<String>> owned = new LinkedHashMap<>();
    Map<Backend, Boolean> foreign = new EnumMap<>(Backend.class);
    for (Backend b : Backend.values()) {
      List<String> chains = new ArrayList<>();
      boolean other = false;
      for (IpFamily f : families) {
        Optional<String> save = saveIfInstalled(router, b, f);
        if (save.isEmpty()) {
          continue;
        }
        Ruleset r = parseSave(b.save(f), save.get(), f);
        for (Table t : r.tables()) {
          for (Chain c : t.chains()) {
            if (!t.isBuiltin(c) && c.name().startsWith(ownedPrefix)) {
              chains.add((f == IpFamily.V4 ? "" : "ip6 ") + t.name() + " " + c.name());
            } else if (!t.isBuiltin(c) || !c.rules().isEmpty()) {
              other = true;
            }
          }
        }
      }
      owned.put(b, chains);
      foreign.put(b, other);
    }
    List<String> nft = owned.get(Backend.NFT);
    List<String> legacy = owned.get(Backend.LEGACY);
    if (!nft.isEmpty() && !legacy.isEmpty()) {
      throw new LiveException("mlb's chains are in both iptables backends (iptables-nft: " + String.join(", ", nft)
          + "; iptables-legacy: " + String.join(", ", legacy) + "); remove one set (mlb remove with the other"
          + " backend's tools, or iptables-legacy -F/-X) before applying");
    }
    if (!nft.isEmpty()) {
      return Backend.NFT;
    }
    if (!legacy.isEmpty()) {
      return Backend.LEGACY;
    }
    if (foreign.get(Backend.NFT) != foreign.get(Backend.LEGACY)) {
      return foreign.get(Backend.NFT) ? Backend.NFT : Backend.LEGACY;
    }
    return host;
  }

  /** The backend of the host's {@code iptables} command, from {@code iptables -V}. */
  static Backend hostBackend(ToolRunner router) {
    ToolRunner.Result v = router.run("iptables", "-V").check();
    for (Backend b : Backend.values()) {
      if (v.stdout().contains("(" + b.versionWord() + ")")) {
        return b;
      }
    }
    throw new LiveException("cannot tell the iptables backend from \"iptables -V\": " + v.stdout().strip()
        + "; expected \"(nf_tables)\" or \"(legacy)\"");
  }

  private static Optional<String> saveIfInstalled(ToolRunner router, Backend b, IpFamily f) {
    try {
      return Optional.of(router.run(b.save(f)).check().stdout());
    } catch (ToolRunner.ToolMissingException e) {
      return Optional.empty();
    }
  }

  /** {@code wg show all fwmark}: interface to mark, for interfaces with one; empty without wg. */
  static ImmutableSortedMap<String, Long> wireguardMarks(ToolRunner router) {
    ToolRunner.Result r;
    try {
      r = router.run("wg", "show", "all", "fwmark");
    } catch (ToolRunner.ToolMissingException e) {
      return ImmutableSortedMap.of();
    }
    Map<String, Long> out = new TreeMap<>();
    if (r.ok()) {
      for (String line : r.stdout().lines().toList()) {
        String[] w = line.strip().split("\\s+");
        if (w.length == 2 && !w[1].equals("off")) {
          try {
            out.put(w[0], Long.decode(w[1]));
          } catch (NumberFormatException e) {
            throw new LiveException("cannot read \"wg show all fwmark\": " + line);
          }
        }
      }
    }
    return ImmutableSortedMap.copyOf(out);
  }

  /** Every line of the families' saves that is not a comment: what tests compare, counters aside. */
  public List<String> ruleLines(IpFamily family) {
    return ImmutableList.copyOf(saves.get(family).lines().filter(l -> !l.startsWith("#"))
        .map(l -> l.replaceAll(" \\[\\d+:\\d+\\]$", "")).toList());
  }
}
