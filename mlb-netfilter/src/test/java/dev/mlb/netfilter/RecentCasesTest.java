package dev.mlb.netfilter;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * -m recent read, checked and written as iptables-nft does it: the cases in
 * {@code extension-cases/recent.cases}, whose expectations were recorded from iptables-nft 1.8.9
 * {@code iptables-save} after loading each rule alone into a network namespace on Linux 6.18
 * (see {@link ExtensionCases}).
 */
class RecentCasesTest {
  @TestFactory
  Stream<DynamicTest> eachFormAsIptablesNftKeepsIt() {
    return ExtensionCases.tests("recent");
  }
}
