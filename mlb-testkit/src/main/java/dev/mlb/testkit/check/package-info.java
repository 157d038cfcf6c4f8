/**
 * The balancing properties and their verdicts: {@link dev.mlb.testkit.check.BalancingCheck} runs
 * generated (or given) flows through the simulator and reports every
 * {@link dev.mlb.testkit.check.BalancingProperty} a configuration breaks, as
 * {@link dev.mlb.testkit.check.Violation}s with a traced counterexample.
 * {@link dev.mlb.testkit.check.CompiledPolicy} is a policy compiled for each family (rules,
 * routing plans, sysctl settings, the files {@code mlb compile} writes) together with the check that
 * describes it; {@link dev.mlb.testkit.check.BalancedConfig} is a known-good hand-written
 * configuration to test checks against; {@link dev.mlb.testkit.check.BinomialBound} gives the exact
 * bounds of every chance-dependent verdict.
 *
 * <p>May use: {@code sim}, {@code gen}, {@code policyfile}, mlb-api, mlb-netfilter, mlb-iproute.
 * Not {@code cli}, {@code watch}, {@code live} or {@code kernel}.
 */
package dev.mlb.testkit.check;
