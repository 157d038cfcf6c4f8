/**
 * The kernel lab: network namespaces that mlb creates for itself ({@link dev.mlb.testkit.kernel.Netns},
 * removed again on close), and {@link dev.mlb.testkit.kernel.KernelLab}, which builds a router with
 * its LAN, providers and server in namespaces, loads a ruleset and routing plan with the real tools
 * and drives real flows through them, answering in the simulator's terms. Nothing here touches the
 * machine's own namespace.
 *
 * <p>May use: {@code sim} (topologies, flows, results), mlb-api, mlb-netfilter, mlb-iproute.
 */
package dev.mlb.testkit.kernel;
