/**
 * The balancing policy as a small YAML file: {@link dev.mlb.testkit.policyfile.PolicyFile} reads
 * one (every mistake with its line and column) into mlb-api's
 * {@link dev.mlb.api.policy.BalancingPolicy} and writes one back.
 *
 * <p>May use: mlb-api and snakeyaml-engine only. Nothing else in mlb-testkit.
 */
package dev.mlb.testkit.policyfile;
