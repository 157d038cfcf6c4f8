/**
 * Generators: plain seeded factories (a {@link java.util.SplittableRandom} in, a value out) of
 * policies, rulesets, routing plans, topologies and flows, usable from any test framework, plus
 * thin QuickTheories adapters ({@code *Gens}, {@link dev.mlb.testkit.gen.MlbGenerators}; they need
 * QuickTheories on the class path, an optional dependency). Also the fixed seed recipe
 * ({@link dev.mlb.testkit.gen.FixedSeed}) and the large shapes the benchmarks use
 * ({@code Scale*Generator}).
 *
 * <p>May use: {@code sim} (topologies, flows, traffic), {@code policyfile} (to print a generated
 * policy), mlb-api, mlb-netfilter, mlb-iproute. Not {@code check}: the checks generate their flows
 * here.
 */
package dev.mlb.testkit.gen;
