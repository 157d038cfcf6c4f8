package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSet;
import dev.mlb.api.IpFamily;
import java.util.Optional;

/**
 * One ipset as rules see it: its name, its type and the family of its addresses.
 *
 * <pre>{@code
 * IpSet.of("blocklist", "hash:ip")                      // IPv4 (hash types default to family inet)
 * IpSet.of("blocklist6", "hash:net", IpFamily.V6)       // family inet6
 * IpSet.of("svc", "hash:ip,port").dimension()           // 2: the address, then the port
 * IpSet.of("all", "list:set").family()                  // Optional.empty(): either family
 * }</pre>
 *
 * <p>The type gives the set's dimension (the number of fields, one per comma-separated part after
 * the colon) and, for {@code bitmap:ip} and {@code bitmap:ip,mac}, the family (IPv4). Sets of
 * {@code bitmap:port}, {@code hash:mac} and {@code list:set} hold no addresses and serve both
 * families; the other hash types hold IPv4 addresses unless made with {@code family inet6}.
 *
 * @param name the set's name, 1 to 31 characters
 * @param type the set's type, one of {@link #TYPES}
 * @param family the family of the set's addresses; empty for a set that serves both
 */
public record IpSet(String name, String type, Optional<IpFamily> family) {

  /** The set types of ipset 7.17. */
  public static final ImmutableSet<String> TYPES = ImmutableSet.of("bitmap:ip", "bitmap:ip,mac", "bitmap:port",
      "hash:ip", "hash:mac", "hash:ip,mac", "hash:net", "hash:net,net", "hash:ip,port", "hash:net,port",
      "hash:ip,port,ip", "hash:ip,port,net", "hash:ip,mark", "hash:net,port,net", "hash:net,iface", "list:set");

  public IpSet {
    checkArgument(name != null && type != null && family != null, "ipset: a part is null");
    checkArgument(!name.isEmpty() && name.length() <= SetReference.MAX_NAME,
        "ipset name \"%s\" is %s characters; expected 1 to %s", name, name.length(), SetReference.MAX_NAME);
    checkArgument(TYPES.contains(type), "ipset %s: unknown type \"%s\"; expected one of %s", name, type, TYPES);
    Optional<IpFamily> fixed = fixedFamily(type);
    if (fixed != null) {
      checkArgument(family.isEmpty() || family.equals(fixed),
          "ipset %s: a %s set serves %s; it cannot be of family %s", name, type,
          fixed.map(f -> f == IpFamily.V4 ? "IPv4 only" : "IPv6 only").orElse("both families"), family.orElse(null));
      family = fixed;
    } else {
      checkArgument(family.isPresent(), "ipset %s: a %s set is of family inet or inet6", name, type);
    }
  }

  /** The set {@code name} of {@code type}, of the type's default family (IPv4 for the hash types). */
  public static IpSet of(String name, String type) {
    Optional<IpFamily> fixed = TYPES.contains(type) ? fixedFamily(type) : null;
    return new IpSet(name, type, fixed != null ? fixed : Optional.of(IpFamily.V4));
  }

  /** The set {@code name} of {@code type} and {@code family} ({@code family inet6} is IPv6). */
  public static IpSet of(String name, String type, IpFamily family) {
    return new IpSet(name, type, Optional.of(family));
  }

  /** How many fields an element has: 1 for {@code hash:ip}, 2 for {@code hash:ip,port}, ... */
  public int dimension() {
    int n = 1;
    for (int i = type.indexOf(':'); i < type.length(); i++) {
      if (type.charAt(i) == ',') {
        n++;
      }
    }
    return n;
  }

  /** Whether rules of {@code family} may name this set (iptables refuses the other family). */
  public boolean serves(IpFamily family) {
    return this.family.isEmpty() || this.family.get() == family;
  }

  /** The family a type forces (empty: both), or null if the type has a family option. */
  private static Optional<IpFamily> fixedFamily(String type) {
    return switch (type) {
      case "bitmap:ip", "bitmap:ip,mac" -> Optional.of(IpFamily.V4);
      case "bitmap:port", "hash:mac", "list:set" -> Optional.empty();
      default -> null;
    };
  }

  /** {@code name (type, IPv4)}. */
  @Override
  public String toString() {
    return name + " (" + type + ", " + family.map(f -> f == IpFamily.V4 ? "IPv4" : "IPv6").orElse("either family")
        + ")";
  }
}
