/**
 * The flow simulator: whole flows (TCP handshake to FIN, UDP exchanges) through a router's
 * netfilter ruleset, conntrack, NAT and policy routing, with the kernel's semantics.
 *
 * <p>Public: {@link dev.mlb.testkit.sim.Simulator} (run, trace, outline), the model it runs on
 * ({@link dev.mlb.testkit.sim.Topology}, {@link dev.mlb.testkit.sim.Flow},
 * {@link dev.mlb.testkit.sim.Traffic}), what it answers ({@link dev.mlb.testkit.sim.FlowResult},
 * {@link dev.mlb.testkit.sim.Trace}, {@link dev.mlb.testkit.sim.PacketLoss}), route lookups on
 * their own ({@link dev.mlb.testkit.sim.PolicyRouting}), which flows a policy selector picks
 * ({@link dev.mlb.testkit.sim.Selectors}) and {@link dev.mlb.testkit.sim.SimulationException}.
 * Everything else (the netfilter and routing engines, conntrack, packets) is package-private.
 *
 * <p>May use: mlb-api, mlb-netfilter, mlb-iproute, Guava. Nothing else in mlb-testkit: every
 * other package builds on this one.
 */
package dev.mlb.testkit.sim;
