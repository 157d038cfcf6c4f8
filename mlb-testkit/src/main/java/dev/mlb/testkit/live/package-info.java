/**
 * On a live router: putting a compiled policy on a running router beside other software's rules,
 * taking it off exactly, reporting drift, and failing over to the live uplinks (apply, remove,
 * status, {@code apply --down}). The home of that orchestration; see DESIGN.md, "On a live
 * router". Probing and {@code mlb watch} build on it in {@code watch}.
 *
 * <p>May use: {@code check}, {@code gen}, {@code kernel}, {@code sim}, {@code policyfile}, mlb-api,
 * mlb-netfilter, mlb-iproute. Only {@code watch} and {@code cli} use it.
 */
package dev.mlb.testkit.live;
