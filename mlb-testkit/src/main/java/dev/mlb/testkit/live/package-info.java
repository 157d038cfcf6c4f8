/**
 * On a live router: putting a compiled policy on a running router beside other software's rules,
 * taking it off exactly, reporting drift, and failing over (apply, remove, status, watch). The home
 * of that orchestration; see DESIGN.md, "On a live router". Empty until the live-apply work lands.
 *
 * <p>May use: {@code check}, {@code gen}, {@code sim}, {@code policyfile}, mlb-api, mlb-netfilter,
 * mlb-iproute. Only {@code cli} uses it.
 */
package dev.mlb.testkit.live;
