package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.MlbStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * One table of a ruleset ({@code *mangle ... COMMIT}).
 *
 * <pre>{@code
 * Table nat = Table.builder()
 *     .name(TableName.NAT)
 *     .addChains(Chain.builder().name("POSTROUTING")
 *         .addRules(Rule.builder().out(InterfaceName.of("ppp0")).target(Masquerade.plain()).build())
 *         .build())
 *     .build();
 * nat.chains().size();   // 4: PREROUTING, INPUT, OUTPUT, POSTROUTING
 * }</pre>
 *
 * <p>A table is kept in the canonical form {@code iptables-save} prints: every built-in chain of the
 * table is present, in hook order, with a policy ({@code ACCEPT} unless given); the user chains
 * follow, sorted by name. Two chains with one name, or a policy on a user chain, are builder errors.
 */
@Value.Immutable
@MlbStyle
public abstract class Table {

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Table}. */
  public static final class Builder extends ImmutableTable.Builder {}

  /** An empty table: its built-in chains with policy ACCEPT. */
  public static Table empty(TableName name) {
    return builder().name(name).build();
  }

  public abstract TableName name();

  /** The chains: built-in ones in hook order, then user chains by name. */
  public abstract ImmutableList<Chain> chains();

  /** The chain called {@code name}. */
  public Optional<Chain> chain(String name) {
    for (Chain c : chains()) {
      if (c.name().equals(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code chain} is one of this table's built-in chains. */
  public boolean isBuiltin(Chain chain) {
    return name().isBuiltin(chain.name());
  }

  @Value.Check
  protected Table normalize() {
    Map<String, Chain> byName = new LinkedHashMap<>();
    for (Chain c : chains()) {
      if (byName.put(c.name(), c) != null) {
        throw new IllegalStateException(
            "table " + name() + " has two chains called \"" + c.name() + "\"");
      }
      if (c.policy().isPresent() && !name().isBuiltin(c.name())) {
        throw new IllegalStateException(
            "chain \"" + c.name() + "\" in table " + name()
                + " is a user chain and cannot have a policy; only built-in chains "
                + name().hooks() + " have one");
      }
    }
    List<Chain> canonical = new ArrayList<>();
    for (Hook h : name().hooks()) {
      Chain c = byName.remove(h.name());
      if (c == null) {
        c = Chain.builder().name(h.name()).policy(Policy.ACCEPT).build();
      } else if (c.policy().isEmpty()) {
        c = Chain.builder().from(c).policy(Policy.ACCEPT).build();
      }
      canonical.add(c);
    }
    List<Chain> user = new ArrayList<>(byName.values());
    user.sort(Comparator.comparing(Chain::name));
    canonical.addAll(user);
    if (canonical.equals(chains())) {
      return this;
    }
    return ImmutableTable.builder().name(name()).chains(canonical).build();
  }
}
