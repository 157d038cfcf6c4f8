package dev.mlb.netfilter;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * -m set and -j SET read, checked and written as iptables-nft does it: the cases in
 * {@code extension-cases/set.cases}, whose expectations were recorded from iptables-nft 1.8.9
 * {@code iptables-save} after loading each rule alone into a network namespace on Linux 6.18 in
 * which the ipsets of {@code set.setup} had been made; mlb validates them with those sets
 * (see {@link ExtensionCases}).
 */
class SetCasesTest {
  @TestFactory
  Stream<DynamicTest> eachFormAsIptablesNftKeepsIt() {
    return ExtensionCases.tests("set");
  }
}
