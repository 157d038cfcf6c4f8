package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import java.util.List;

/**
 * The pass-through for what mlb does not model: any other {@code -m NAME} becomes an
 * {@link OpaqueMatch} and a target extension of iptables 1.8.9 ({@link #KNOWN_TARGETS}) an
 * {@link OpaqueTarget}, each with its words as written; a modelled module that meets an option
 * mlb does not model is kept so too.
 *
 * <pre>{@code
 * -m u32 --u32 0x0=0x0                   // OpaqueMatch.of("u32", "--u32", "0x0=0x0")
 * -j LOG --log-prefix "mlb: "             // OpaqueTarget.of("LOG", "--log-prefix", "mlb: ")
 * }</pre>
 *
 * <p>Validation checks that the words can be written back and read back as they are, and reports
 * each such module once with its count ({@link UncheckedModules}): mlb neither checks nor simulates
 * them.
 */
final class OpaqueModules {
  private OpaqueModules() {}

  /** Target extensions of iptables 1.8.9 that mlb keeps verbatim. */
  static final ImmutableSet<String> KNOWN_TARGETS =
      ImmutableSet.of(
          "AUDIT", "CHECKSUM", "CLASSIFY", "CLUSTERIP", "CONNSECMARK", "CT", "DNAT", "DNPT", "DSCP",
          "ECN", "HL", "HMARK", "IDLETIMER", "LED", "LOG", "NETMAP", "NFLOG", "NFQUEUE", "NOTRACK",
          "QUEUE", "RATEEST", "REDIRECT", "REJECT", "SECMARK", "SET", "SNPT", "SYNPROXY", "TCPMSS",
          "TCPOPTSTRIP", "TEE", "TOS", "TPROXY", "TRACE", "TTL", "ULOG");

  /** Every {@code -m NAME} without a module of its own. */
  static final MatchModule<OpaqueMatch> MATCH = new MatchModule<>("", OpaqueMatch.class) {
    @Override
    List<String> options() {
      return List.of();
    }

    @Override
    String canonical(String option) {
      return null;
    }

    @Override
    boolean isOpaque() {
      return true;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, name, at, rule) {
        @Override
        void value(String option, Token optionToken, Token arg) {}

        @Override
        Match finish() {
          return match(name, raw);
        }
      };
    }

    @Override
    void write(OpaqueMatch m, StringBuilder out) {
      RestoreWriter.appendArguments(out, m.arguments(), m.quoted());
    }

    @Override
    void check(OpaqueMatch m, RuleContext rule, Findings findings) {
      Rule r = rule.rule;
      TextChecks.checkName(findings, "match module", m.module());
      TextChecks.checkArguments(findings, "-m " + m.module(), m.arguments());
      TextChecks.checkClaimed(findings, "-m " + m.module(), m.arguments(),
          r.matches().subList(0, r.matches().indexOf(m)));
      if (Modules.modelsMatch(m.module())) {
        Rule probe = Rule.builder().from(r).matches(List.of(m)).target(java.util.Optional.empty()).build();
        TextChecks.checkReadsBack(findings, "-m " + m.module(), probe, TableName.MANGLE, rule.family);
      }
      // Reported once per module with its count (UncheckedModules), not once per rule.
    }
  };

  /** Every {@code -j NAME} of {@link #KNOWN_TARGETS}. */
  static final TargetModule<OpaqueTarget> TARGET = new TargetModule<>("", List.of(OpaqueTarget.class)) {
    @Override
    List<String> options() {
      return List.of();
    }

    @Override
    boolean isOpaque() {
      return true;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        @Override
        void value(Token option, Token arg) {}

        @Override
        Target finish() {
          return target(name, raw);
        }
      };
    }

    @Override
    void write(OpaqueTarget t, StringBuilder out) {
      out.append(" -j ").append(t.name());
      RestoreWriter.appendArguments(out, t.arguments(), t.quoted());
    }

    @Override
    void check(OpaqueTarget t, RuleContext rule, Findings findings) {
      TextChecks.checkName(findings, "target", t.name());
      TextChecks.checkArguments(findings, "-j " + t.name(), t.arguments());
      TextChecks.checkClaimed(findings, "-j " + t.name(), t.arguments(), rule.rule.matches());
      if (Modules.modelsTarget(t.name())) {
        Rule probe = Rule.builder().from(rule.rule).matches(List.of()).target(t).build();
        TextChecks.checkReadsBack(findings, "-j " + t.name(), probe, rule.table, rule.family);
      }
      // A known target is reported once per target with its count (UncheckedModules), not once per rule.
      if (!RulesetValidator.TARGET_NAMES.contains(t.name()) && rule.chains.containsKey(t.name())) {
        findings.error("jump-opaque", "-j " + t.name() + " is a chain but was read as a target");
      }
    }
  };

  /** An unmodelled module with its words as written: the values, and which were quoted. */
  static OpaqueMatch match(String name, List<Token> words) {
    return new OpaqueMatch(name, texts(words), quotedIndexes(words));
  }

  /** An unmodelled target with its words as written. */
  static OpaqueTarget target(String name, List<Token> words) {
    return new OpaqueTarget(name, texts(words), quotedIndexes(words));
  }

  private static ImmutableList<String> texts(List<Token> words) {
    return words.stream().map(Token::text).collect(ImmutableList.toImmutableList());
  }

  private static ImmutableSet<Integer> quotedIndexes(List<Token> words) {
    ImmutableSet.Builder<Integer> quoted = ImmutableSet.builder();
    for (int i = 0; i < words.size(); i++) {
      if (words.get(i).quoted()) {
        quoted.add(i);
      }
    }
    return quoted.build();
  }
}
