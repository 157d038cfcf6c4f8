package dev.mlb.netfilter;

import dev.mlb.api.IpFamily;

/**
 * The check of the matches that exist in IPv6 only ({@code -m frag}, {@code -m rt}, {@code -m mh},
 * {@code -m eui64}): ip6tables has them, iptables does not ("Couldn't load match").
 *
 * <pre>{@code
 * Ipv6Only.check("frag", rule, findings);   // error [frag-family] in an IPv4 ruleset
 * }</pre>
 */
final class Ipv6Only {
  private Ipv6Only() {}

  /** An error if the rule's ruleset is IPv4's (a warning while the rule is screened, so that validation looks). */
  static void check(String module, RuleContext rule, Findings findings) {
    if (rule.family == null) {
      findings.warning(module + "-context", "checked in its ruleset");
    } else if (rule.family != IpFamily.V6) {
      findings.error(module + "-family", "-m " + module + " exists in IPv6 only; iptables cannot load it");
    }
  }
}
