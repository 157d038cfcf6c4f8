package dev.mlb.testkit.policyfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.ParseException;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Reading policy files: the seed, and every kind of mistake with its whole message. */
class PolicyFileTest {

  /** Lines 1 to 3. */
  static final String UPLINKS = """
      uplinks:
        - {name: isp1, interface: ppp0}
        - {name: isp2, interface: ppp1}
      """;
  /** One line. */
  static final String LAN = "lan: {interfaces: [eth0], prefixes: [192.0.2.0/24]}\n";

  static final String TOP_KEYS = "family, strategy, uplinks, lan, balance, router, exclude, sticky-inbound,"
      + " mark-mask, foreign-mark-bits, table-base, priority-base, chain-prefix, rule-protocol, health or all-down";

  /** Every problem of {@code yaml}, as the first error and its suppressed ones describe themselves. */
  static String problems(String yaml) {
    ParseException e = assertThrows(ParseException.class, () -> PolicyFile.parse("p.yaml", yaml));
    return PolicyFile.describeAll(e);
  }

  static BalancingPolicy seed() {
    return BalancingPolicy.builder()
        .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("ppp0")).build())
        .addUplinks(Uplink.builder().name("isp2").iface(InterfaceName.of("ppp1")).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"))
        .addBalanced(TrafficSelector.of(Protocol.TCP, 22, 25, 80, 443))
        .addRouter(TrafficSelector.of(Protocol.TCP, 80))
        .build();
  }

  // ---- the seed -----------------------------------------------------------------------------

  @Test
  void theSeedPolicyFileIsTheSeed() throws Exception {
    assertEquals(seed(), PolicyFile.read(Path.of("examples/seed-policy.yaml")));
  }

  @Test
  void theSeedWritesCanonically() {
    assertEquals("""
        uplinks:
          - name: isp1
            interface: ppp0
          - name: isp2
            interface: ppp1
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24]
        balance:
          - protocol: tcp
            ports: [22, 25, 80, 443]
        router:
          - protocol: tcp
            ports: [80]
        """, PolicyFile.write(seed()));
  }

  @Test
  void theSeedInEveryStyleYamlAllows() {
    assertEquals(seed(), PolicyFile.parse("flow.yaml", """
        {uplinks: [{name: isp1, interface: ppp0}, {name: isp2, interface: ppp1}],
         lan: {interfaces: [eth0], prefixes: [192.0.2.0/24]},
         balance: [{protocol: 6, ports: ["22", 25, 80, 443]}], router: [{protocol: TCP, ports: [80]}]}
        """));
    assertEquals(seed(), PolicyFile.parse("block.yaml", """
        %YAML 1.2
        ---
        # comment
        uplinks:
        - name: 'isp1'
          interface: "ppp0"
        - name: isp2
          interface: ppp1
        lan:
          interfaces:
          - eth0
          prefixes:
          - 192.0.2.0/24
        balance:
        - protocol: tcp
          ports:
          - 22
          - 25
          - 80
          - 443
        router: [{protocol: tcp, ports: [80]}]
        ...
        """));
  }

  // ---- keys ---------------------------------------------------------------------------------

  @Test
  void unknownTopLevelKeys() {
    assertEquals("p.yaml: line 5, column 1: unknown key \"uplink\" (did you mean \"uplinks\"?); expected "
            + TOP_KEYS + "\n  [*]uplink: x",
        problems(UPLINKS + LAN + "uplink: x\n"));
    assertEquals("p.yaml: line 1, column 1: unknown key \"colour\"; expected " + TOP_KEYS + "\n  [*]colour: red",
        problems("colour: red\n" + UPLINKS + LAN));
    assertEquals("p.yaml: line 5, column 1: unknown key \"mark_mask\" (did you mean \"mark-mask\"?); expected "
            + TOP_KEYS + "\n  [*]mark_mask: 0xff",
        problems(UPLINKS + LAN + "mark_mask: 0xff\n"));
  }

  @Test
  void unknownKeyInAnUplink() {
    assertEquals("p.yaml: line 4, column 5: uplinks[0]: unknown key \"gatway\" (did you mean \"gateway\"?);"
            + " expected name, interface, gateway, gateway6, snat, snat6, weight, tier, mark, table or health\n"
            + "      [*]gatway: 198.51.100.1",
        problems("""
            uplinks:
              - name: isp1
                interface: ppp0
                gatway: 198.51.100.1
            """ + LAN));
  }

  @Test
  void unknownKeyInTheLanAndInASelector() {
    assertEquals("p.yaml: line 7, column 3: lan: unknown key \"prefix\" (did you mean \"prefixes\"?);"
            + " expected interfaces or prefixes\n    [*]prefix: [198.51.100.0/24]",
        problems(UPLINKS + """
            lan:
              interfaces: [eth0]
              prefixes: [192.0.2.0/24]
              prefix: [198.51.100.0/24]
            """));
    assertEquals("p.yaml: line 6, column 21: balance[0]: unknown key \"port\" (did you mean \"ports\"?);"
            + " expected protocol, ports, sources or destinations\n    - {protocol: tcp, [*]port: 80}",
        problems(UPLINKS + LAN + "balance:\n  - {protocol: tcp, port: 80}\n"));
  }

  @Test
  void duplicateKeys() {
    assertEquals("p.yaml: line 5, column 1: duplicate key \"uplinks\"; it is already set on line 1\n  [*]uplinks: []",
        problems(UPLINKS + LAN + "uplinks: []\n"));
    assertEquals("p.yaml: line 4, column 5: uplinks[0]: duplicate key \"name\"; it is already set on line 2\n"
            + "      [*]name: isp2",
        problems("""
            uplinks:
              - name: isp1
                interface: ppp0
                name: isp2
            """ + LAN));
  }

  @Test
  void aKeyMustBeAName() {
    assertEquals("p.yaml: line 5, column 3: expected a key name, got a list\n  ? [*][a]",
        problems(UPLINKS + LAN + "? [a]\n: b\n"));
  }

  @Test
  void anUplinkNeedsANameAndAnInterface() {
    assertEquals("p.yaml: line 2, column 5: uplinks[0]: missing key \"interface\"; an uplink needs a name and"
            + " an interface\n    - [*]name: isp1",
        problems("uplinks:\n  - name: isp1\n" + LAN));
  }

  // ---- types --------------------------------------------------------------------------------

  /** An uplink isp1 on ppp0 with one more line (line 4). */
  static String uplinkWith(String line) {
    return "uplinks:\n  - name: isp1\n    interface: ppp0\n    " + line + "\n" + LAN;
  }

  @Test
  void integers() {
    assertEquals("p.yaml: line 4, column 13: uplinks[0].weight: expected an integer 1 to 256, got \"heavy\"\n"
            + "      weight: [*]heavy",
        problems(uplinkWith("weight: heavy")));
    assertEquals("p.yaml: line 4, column 13: uplinks[0].weight: expected an integer 1 to 256, got the quoted"
            + " text \"3\"\n      weight: [*]\"3\"",
        problems(uplinkWith("weight: \"3\"")));
    assertEquals("p.yaml: line 4, column 13: uplinks[0].weight: expected an integer 1 to 256, got"
            + " \"99999999999\"\n      weight: [*]99999999999",
        problems(uplinkWith("weight: 99999999999")));
    assertEquals("p.yaml: line 4, column 12: uplinks[0].table: expected a table number 1 to 2147483647, got"
            + " \"0x10\"\n      table: [*]0x10",
        problems(uplinkWith("table: 0x10")));
    assertEquals("p.yaml: line 4, column 13: uplinks[0].weight: expected an integer 1 to 256, got null (~)\n"
            + "      weight: [*]~",
        problems(uplinkWith("weight: ~")));
  }

  @Test
  void emptyValues() {
    assertEquals("p.yaml: line 4, column 12: uplinks[0].weight: expected an integer 1 to 256, got an empty value\n"
            + "      weight:[*]",
        problems(uplinkWith("weight:")));
    assertEquals("p.yaml: line 2, column 11: uplinks[0].name: expected an uplink name such as isp1, got null\n"
            + "    - name: [*]null\n"
            + "p.yaml: line 3, column 16: uplinks[0].interface: interface name \"\" is empty; expected 1 to 15"
            + " characters\n      interface: [*]\"\"",
        problems("uplinks:\n  - name: null\n    interface: \"\"\n" + LAN));
  }

  @Test
  void modelFieldPathsBecomeFileKeyPaths() {
    assertEquals("uplinks[3].interface", PolicyFileReader.filePath("uplinks[3].iface"));
    assertEquals("uplinks[3].weight", PolicyFileReader.filePath("uplinks[3].weight"));
    assertEquals("lan.prefixes[0]", PolicyFileReader.filePath("lanPrefixes[0]"));
    assertEquals("lan.interfaces", PolicyFileReader.filePath("lanInterfaces"));
    assertEquals("balance[2].ports[0]", PolicyFileReader.filePath("balanced[2].ports[0]"));
    assertEquals("exclude[1].destinations[0]", PolicyFileReader.filePath("exclusions[1].destinations[0]"));
    assertEquals("router[0].sources[1]", PolicyFileReader.filePath("router[0].sources[1]"));
    assertEquals("family", PolicyFileReader.filePath("families"));
    assertEquals("mark-mask", PolicyFileReader.filePath("markMask"));
    assertEquals("foreign-mark-bits", PolicyFileReader.filePath("foreignMarkBits"));
    assertEquals("sticky-inbound", PolicyFileReader.filePath("stickyInbound"));
    assertEquals("rule-protocol", PolicyFileReader.filePath("ruleProtocol"));
  }

  @Test
  void marks() {
    assertEquals("p.yaml: line 4, column 11: uplinks[0].mark: expected a mark in decimal or 0x hex, such as"
            + " 0x100, got \"010\" (leading zeros are not allowed)\n      mark: [*]010",
        problems(uplinkWith("mark: 010")));
    assertEquals("p.yaml: line 4, column 11: uplinks[0].mark: expected a mark in decimal or 0x hex, such as"
            + " 0x100, got \"0x100000000\" (more than 32 bits)\n      mark: [*]0x100000000",
        problems(uplinkWith("mark: 0x100000000")));
    assertEquals("p.yaml: line 5, column 12: mark-mask: expected a 32-bit mask in decimal or 0x hex, such as"
            + " 0x0f000000, or auto, got \"ff00\"\n  mark-mask: [*]ff00",
        problems(UPLINKS + LAN + "mark-mask: ff00\n"));
  }

  @Test
  void scalarsWhereListsOrMappingsBelongAndTheOtherWayRound() {
    assertEquals("p.yaml: line 1, column 10: uplinks: expected a list of uplinks, got \"isp1\"\n"
            + "  uplinks: [*]isp1",
        problems("uplinks: isp1\n" + LAN));
    assertEquals("p.yaml: line 5, column 15: lan.interfaces: expected a list of interface names, got \"eth0\"\n"
            + "    interfaces: [*]eth0",
        problems(UPLINKS + "lan:\n  interfaces: eth0\n  prefixes: [192.0.2.0/24]\n"));
    assertEquals("p.yaml: line 4, column 6: lan: expected a mapping of interfaces and prefixes, got a list\n"
            + "  lan: [*][eth0]",
        problems(UPLINKS + "lan: [eth0]\n"));
    assertEquals("p.yaml: line 2, column 11: uplinks[0].name: expected an uplink name such as isp1, got a"
            + " mapping\n    - name: [*]{first: isp1}",
        problems("uplinks:\n  - name: {first: isp1}\n    interface: ppp0\n" + LAN));
    assertEquals("p.yaml: line 1, column 1: expected a mapping of policy keys (uplinks, lan, ...), got a list\n"
            + "  [*]- a",
        problems("- a\n- b\n"));
  }

  @Test
  void wordsFromASmallSet() {
    assertEquals("p.yaml: line 1, column 9: family: expected ipv4, ipv6 or both, got \"v4\"\n  family: [*]v4",
        problems("family: v4\n" + UPLINKS + LAN));
    assertEquals("p.yaml: line 1, column 11: strategy: expected nth, random or multipath, got \"roundrobin\"\n"
            + "  strategy: [*]roundrobin",
        problems("strategy: roundrobin\n" + UPLINKS + LAN));
    assertEquals("p.yaml: line 5, column 17: sticky-inbound: expected true or false, got \"yes\"\n"
            + "  sticky-inbound: [*]yes",
        problems(UPLINKS + LAN + "sticky-inbound: yes\n"));
  }

  // ---- values through mlb-api's parsers -----------------------------------------------------

  @Test
  void addressesPrefixesAndInterfaces() {
    assertEquals("p.yaml: line 4, column 14: uplinks[0].gateway: \"198.51.100.300\" is not an IP address;"
            + " expected an IPv4 address such as 192.0.2.1 or an IPv6 address such as 2001:db8::1\n"
            + "      gateway: [*]198.51.100.300",
        problems(uplinkWith("gateway: 198.51.100.300")));
    assertEquals("p.yaml: line 4, column 38: lan.prefixes[0]: \"192.0.2.0/33\": prefix length 33 is outside"
            + " 0..32\n  lan: {interfaces: [eth0], prefixes: [[*]192.0.2.0/33]}",
        problems(UPLINKS + "lan: {interfaces: [eth0], prefixes: [192.0.2.0/33]}\n"));
    assertEquals("p.yaml: line 3, column 16: uplinks[0].interface: interface name \"eth0:1\" contains ':' at"
            + " position 5; the kernel does not allow it\n      interface: [*]eth0:1",
        problems("uplinks:\n  - name: isp1\n    interface: eth0:1\n" + LAN));
  }

  @Test
  void portsAndProtocols() {
    assertEquals("p.yaml: line 7, column 17: balance[0].ports[1]: port range \"8080-8000\" is empty; expected"
            + " FIRST:LAST with FIRST <= LAST\n      ports: [22, [*]8080-8000, 70000, -1]\n"
            + "p.yaml: line 7, column 28: balance[0].ports[2]: \"70000\": port 70000 is outside 0..65535\n"
            + "      ports: [22, 8080-8000, [*]70000, -1]\n"
            + "p.yaml: line 7, column 35: balance[0].ports[3]: expected a port 0 to 65535 or a range"
            + " \"FIRST-LAST\", got \"-1\"\n      ports: [22, 8080-8000, 70000, [*]-1]",
        problems(UPLINKS + LAN + "balance:\n  - protocol: tcp\n    ports: [22, 8080-8000, 70000, -1]\n"));
    assertEquals("p.yaml: line 6, column 15: balance[0].protocol: unknown protocol \"tcpp\"; expected a name"
            + " such as tcp, udp, icmp or a number 1 to 255\n    - protocol: [*]tcpp",
        problems(UPLINKS + LAN + "balance:\n  - protocol: tcpp\n"));
    assertEquals("p.yaml: line 6, column 15: balance[0].protocol: \"all\" means any protocol; leave the key out\n"
            + "    - protocol: [*]all",
        problems(UPLINKS + LAN + "balance:\n  - protocol: all\n"));
    assertEquals("p.yaml: line 7, column 12: balance[0].ports: ports 80 need a protocol with ports (tcp, udp,"
            + " sctp, udplite, dccp), not icmp\n      ports: [*][80]",
        problems(UPLINKS + LAN + "balance:\n  - protocol: icmp\n    ports: [80]\n"));
  }

  @Test
  void emptyListsThatWouldMeanEverything() {
    assertEquals("p.yaml: line 5, column 10: balance: empty list; leave the key out to balance every new LAN"
            + " connection\n  balance: [*][]",
        problems(UPLINKS + LAN + "balance: []\n"));
    assertEquals("p.yaml: line 6, column 28: balance[0].ports: empty list; leave the key out for any port\n"
            + "    - {protocol: tcp, ports: [*][]}",
        problems(UPLINKS + LAN + "balance:\n  - {protocol: tcp, ports: []}\n"));
  }

  // ---- YAML itself --------------------------------------------------------------------------

  @Test
  void syntaxErrors() {
    assertEquals("p.yaml: line 4, column 4: YAML syntax: expected <block end>, but found '<block mapping start>'"
            + " (while parsing a block collection at line 2, column 3)\n     [*]weight: 2",
        problems("uplinks:\n  - name: isp1\n    interface: ppp0\n   weight: 2\n" + LAN));
    assertEquals("p.yaml: line 2, column 1: YAML syntax: expected ',' or ']', but got <scalar> (while parsing"
            + " a flow sequence at line 1, column 10)\n  [*]lan: {}",
        problems("uplinks: [{name: isp1, interface: ppp0}\nlan: {}\n"));
    assertEquals("p.yaml: line 2, column 1: YAML syntax: found character '\\t(TAB)' that cannot start any"
            + " token. (Do not use \\t(TAB) for indentation)\n  [*]\t- name: x",
        problems("uplinks:\n\t- name: x\n"));
  }

  @Test
  void anchorsAliasesTagsAndDocumentsAreRefused() {
    assertEquals("p.yaml: line 2, column 5: anchor &a is not allowed in a policy file; write each value where"
            + " it is used\n    - [*]&a {name: isp1, interface: ppp0}\n"
            + "p.yaml: line 3, column 5: alias *a is not allowed in a policy file; write the value out\n"
            + "    - [*]*a",
        problems("uplinks:\n  - &a {name: isp1, interface: ppp0}\n  - *a\n" + LAN));
    assertEquals("p.yaml: line 4, column 20: tag !!str is not allowed in a policy file; write plain values\n"
            + "  lan: {interfaces: [[*]!!str eth0], prefixes: [192.0.2.0/24]}",
        problems(UPLINKS + "lan: {interfaces: [!!str eth0], prefixes: [192.0.2.0/24]}\n"));
    assertEquals("p.yaml: line 5, column 1: a second YAML document; a policy file holds exactly one (no '---'"
            + " between documents)\n  [*]---",
        problems(UPLINKS + LAN + "---\nuplinks: []\n"));
  }

  @Test
  void emptyFiles() {
    String empty = "the policy file is empty; expected a mapping with at least uplinks and lan";
    assertEquals("p.yaml: line 1, column 1: " + empty + "\n  [*]", problems(""));
    assertEquals("p.yaml: line 1, column 1: " + empty + "\n  [*]# nothing yet", problems("# nothing yet\n"));
    assertEquals("p.yaml: line 1, column 1: " + empty + "\n  [*]---", problems("---\n"));
    assertEquals("p.yaml: line 1, column 1: " + empty + "\n  [*]~", problems("~\n"));
  }

  // ---- validation, mapped back to the file ------------------------------------------------

  @Test
  void validationErrorsPointAtTheirNodesInFileOrder() {
    assertEquals("p.yaml: line 6, column 13: uplinks[1].weight: 300 is out of range; expected 1 to 256\n"
            + "      weight: [*]300\n"
            + "p.yaml: line 10, column 12: mark-mask: 0x0 has no bits; expected a non-zero 32-bit mask such as"
            + " 0xff00\n  mark-mask: [*]0",
        problems("""
            uplinks:
              - name: isp1
                interface: ppp0
              - name: isp2
                interface: ppp1
                weight: 300
            lan:
              interfaces: [eth0]
              prefixes: [192.0.2.0/24]
            mark-mask: 0
            """));
    // the same errors, the mask first in the file: file order, not validation order
    ParseException e = assertThrows(ParseException.class, () -> PolicyFile.parse("p.yaml",
        "mark-mask: 0\n" + "uplinks:\n  - name: isp1\n    interface: ppp0\n    weight: 0\n" + LAN));
    assertEquals("line 1, column 12: mark-mask: 0x0 has no bits; expected a non-zero 32-bit mask such as 0xff00\n"
        + "  mark-mask: [*]0", e.getMessage());
    assertEquals(1, e.getSuppressed().length);
    assertEquals(5, ((ParseException) e.getSuppressed()[0]).line());
  }

  @Test
  void validationOfUplinks() {
    assertEquals("p.yaml: line 3, column 12: uplinks[1].name: \"isp1\" is also the name of uplinks[0]; expected"
            + " unique names\n    - {name: [*]isp1, interface: ppp1}",
        problems("uplinks:\n  - {name: isp1, interface: ppp0}\n  - {name: isp1, interface: ppp1}\n" + LAN));
    assertEquals("p.yaml: line 1, column 10: uplinks: no uplinks; expected at least one\n  uplinks: [*][]",
        problems("uplinks: []\n" + LAN));
    assertEquals("p.yaml: line 2, column 44: uplinks[0].gateway: 192.0.2.1 lies inside the LAN prefix"
            + " 192.0.2.0/24; expected a next hop outside the LAN\n"
            + "    - {name: isp1, interface: eth1, gateway: [*]192.0.2.1}",
        problems("uplinks:\n  - {name: isp1, interface: eth1, gateway: 192.0.2.1}\n" + LAN));
    assertEquals("p.yaml: line 4, column 14: uplinks[0].gateway: 2001:db8::1 is an IPv6 address; expected an"
            + " IPv4 address (IPv6 next hops go in gateway6)\n      gateway: [*]2001:db8::1",
        problems(uplinkWith("gateway: 2001:db8::1")));
    assertEquals("p.yaml: line 3, column 29: uplinks[1].interface: ppp0 is also the interface of uplink isp1"
            + " (uplinks[0]); expected an interface per uplink\n    - {name: isp2, interface: [*]ppp0}",
        problems("uplinks:\n  - {name: isp1, interface: ppp0}\n  - {name: isp2, interface: ppp0}\n" + LAN));
  }

  @Test
  void validationOfMarksAndTables() {
    assertEquals("p.yaml: line 3, column 3: uplinks: 2 uplinks need 2 distinct non-zero marks, but the mark mask"
            + " 0x1 (1 bit) encodes at most 1; widen the mark mask or remove uplinks\n"
            + "    [*]- {name: isp1, interface: ppp0}",
        problems("mark-mask: 0x1\n" + UPLINKS + LAN));
    assertEquals("p.yaml: line 5, column 13: table-base: 253 gives uplink isp1 (uplinks[0]) table 253, which is"
            + " reserved (default); expected a table base whose tables avoid 253 to 255\n"
            + "  table-base: [*]253\n"
            + "p.yaml: line 5, column 13: table-base: 253 gives uplink isp2 (uplinks[1]) table 254, which is"
            + " reserved (main); expected a table base whose tables avoid 253 to 255\n"
            + "  table-base: [*]253",
        problems(UPLINKS + LAN + "table-base: 253\n"));
  }

  @Test
  void validationOfTheLanAndSettings() {
    assertEquals("p.yaml: line 4, column 52: lan.prefixes[1]: 0.0.0.0/0 covers every address; expected the"
            + " LAN's own network\n"
            + "  lan: {interfaces: [eth0], prefixes: [192.0.2.0/24, [*]0.0.0.0/0]}",
        problems(UPLINKS + "lan: {interfaces: [eth0], prefixes: [192.0.2.0/24, 0.0.0.0/0]}\n"));
    // no lan key: the findings fall back to the document's first node
    assertEquals("p.yaml: line 1, column 1: lan.interfaces: no LAN interface; expected at least one\n"
            + "  [*]uplinks:\n"
            + "p.yaml: line 1, column 1: lan.prefixes: no IPv4 LAN prefix, but IPv4 is compiled (families:"
            + " IPv4); expected at least one\n  [*]uplinks:",
        problems(UPLINKS));
    assertEquals("p.yaml: line 5, column 15: chain-prefix: \"m b\" contains ' ' at position 2; expected 1 to 16"
            + " letters, digits, '_' or '-', starting with a letter or digit\n  chain-prefix: [*]\"m b\"",
        problems(UPLINKS + LAN + "chain-prefix: \"m b\"\n"));
  }
}
