/**
 * Failover on a live router: probing each uplink through itself ({@link ToolProber}), deciding
 * with hysteresis when it is down or up again ({@link UplinkHealth}), and applying each
 * transition through the live package's apply engine ({@link Watcher}, what {@code mlb watch}
 * runs).
 *
 * <p>May use: {@code live}, {@code check} (compiling), {@code policyfile}, mlb-api, mlb-netfilter, mlb-iproute. Only
 * {@code cli} uses it.
 */
package dev.mlb.testkit.watch;
