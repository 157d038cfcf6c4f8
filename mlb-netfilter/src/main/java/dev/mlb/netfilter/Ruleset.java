package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.MlbStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * A whole {@code iptables-restore} (or {@code ip6tables-restore}) file: one family, its tables.
 *
 * <pre>{@code
 * Ruleset rules = Ruleset.builder()
 *     .family(IpFamily.V4)
 *     .addTables(mangle, nat)
 *     .build();
 * List<Finding> problems = rules.validate();
 * String text = RestoreWriter.render(rules);   // what iptables-save prints for the same rules
 * }</pre>
 *
 * <p>Tables are kept in the order {@code iptables-save} prints them (mangle, security, raw, filter,
 * nat). Two tables with one name are a builder error.
 */
@Value.Immutable
@MlbStyle
public abstract class Ruleset {

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Ruleset}. */
  public static final class Builder extends ImmutableRuleset.Builder {}

  /** IPv4 ({@code iptables}) or IPv6 ({@code ip6tables}). */
  public abstract IpFamily family();

  /** The tables, in iptables-save order. */
  public abstract ImmutableList<Table> tables();

  /** The table {@code name}, if the ruleset has it. */
  public Optional<Table> table(TableName name) {
    for (Table t : tables()) {
      if (t.name() == name) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /**
   * Every problem with this ruleset that the kernel or iptables would refuse, or that makes it do
   * something other than it seems to, each with its location. Errors first, then warnings.
   * Worked out once per ruleset (a ruleset is immutable) and kept: {@code mlb fmt} validates, then
   * writes, and writing validates again.
   *
   * <p>This does not know which ipsets exist, so it does not check the sets that {@code -m set}
   * and {@code -j SET} name (iptables refuses a rule naming a set that does not exist, or one of
   * the other family): rules naming sets get one note {@code set-names-unchecked} (info, at the
   * first of them). {@link #validate(IpSets)} checks them.
   */
  @Value.Lazy
  public List<Finding> validate() {
    return List.copyOf(RulesetValidator.validate(this));
  }

  /**
   * {@link #validate()} with the ipsets that exist where the ruleset is loaded: a rule naming a set
   * not among {@code sets} ({@code set-missing}) or one of the other family ({@code set-family}) is
   * an error, as iptables refuses it; fewer or more directions than the set has fields are a
   * warning ({@code set-dimension}: the kernel takes the rule, but never finds a packet in the set,
   * or ignores the extra directions). It is the kept {@link #validate()}, without its
   * {@code set-names-unchecked} note, and the set checks: errors first (the set errors after the
   * others), then the rest.
   *
   * <pre>{@code
   * ruleset.validate(IpSets.parse("sets", ipsetListT));   // ipset list -t of the host
   * ruleset.validate(IpSets.none());                      // a fresh namespace: no set exists
   * }</pre>
   */
  public List<Finding> validate(IpSets sets) {
    if (sets == null) {
      throw new NullPointerException("sets is null; use validate() when the sets are not known");
    }
    List<Finding> known = validate();
    List<Finding> setFindings = RulesetValidator.setFindings(this, sets);
    List<Finding> all = new ArrayList<>(known.size() + setFindings.size());
    for (boolean errors : new boolean[] {true, false}) {
      for (Finding f : known) {
        if (f.isError() == errors && !f.code().equals("set-names-unchecked")) {
          all.add(f);
        }
      }
      for (Finding f : setFindings) {
        if (f.isError() == errors) {
          all.add(f);
        }
      }
    }
    return List.copyOf(all);
  }

  @Value.Check
  protected Ruleset normalize() {
    List<Table> sorted = new ArrayList<>(tables());
    sorted.sort(Comparator.comparing(Table::name));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).name() == sorted.get(i - 1).name()) {
        throw new IllegalStateException("ruleset has two tables called " + sorted.get(i).name());
      }
    }
    if (sorted.equals(tables())) {
      return this;
    }
    return ImmutableRuleset.builder().family(family()).tables(sorted).build();
  }
}
