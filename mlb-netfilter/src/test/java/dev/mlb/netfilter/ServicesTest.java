package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Service names against glibc's own answer: {@code getent services NAME/PROTO} (glibc's getservbyname
 * over the same /etc/services iptables reads). A name this machine does not list skips that row with
 * a message; the rule forms mlb reads with names are in ports.cases, conntrack.cases and nat.cases.
 */
class ServicesTest {

  /** glibc's port for NAME/PROTO ({@code getent services}), or empty if it lists none. */
  private static Optional<Integer> getent(String name, String protocol) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("getent", "services", name + "/" + protocol).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.waitFor() != 0 || out.isEmpty()) {
      return Optional.empty();
    }
    String[] f = out.split("\\s+");
    return Optional.of(Integer.parseInt(f[1].substring(0, f[1].indexOf('/'))));
  }

  @ParameterizedTest
  @CsvSource({"ssh,tcp", "ftp-data,tcp", "domain,udp", "ntp,udp", "http,tcp", "www,tcp", "ntp,tcp"})
  void lookupAgreesWithGlibc(String name, String protocol) throws Exception {
    Optional<Integer> glibc;
    try {
      glibc = getent(name, protocol);
    } catch (IOException e) {
      Assumptions.abort("skipped: getent cannot run here (" + e.getMessage() + ")");
      return;
    }
    assertEquals(glibc, Services.lookup(name, protocol), name + "/" + protocol);
  }

  @ParameterizedTest
  @CsvSource({"-p tcp --dport ssh, -p tcp -m tcp --dport 22, ssh, tcp",
      "-p udp --dport ntp, -p udp -m udp --dport 123, ntp, udp",
      "-p tcp -m multiport --dports ftp-data:http, -p tcp -m multiport --dports 20:80, http, tcp"})
  void rulesWriteTheNumber(String rule, String written, String name, String protocol) throws Exception {
    Assumptions.assumeTrue(getent(name, protocol).isPresent(), () -> "skipped: no " + name + "/" + protocol
        + " in this machine's /etc/services");
    String text = "*filter\n-A INPUT " + rule + "\nCOMMIT\n";
    String out = RestoreWriter.render(RestoreParser.parse("t", text, IpFamily.V4));
    assertTrue(out.contains("-A INPUT " + written + "\n"), out);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "-p tcp -j DNAT --to-destination 192.0.2.1:no-such-service | 47 | bad port \"no-such-service\" in"
        + " --to-destination 192.0.2.1:no-such-service; expected a number from 0 to 65535 or a service name"
        + " that /etc/services lists",
    "-p tcp -j REDIRECT --to-ports 20-ssh | 45 | bad port \"ssh\" in --to-ports 20-ssh; expected a number from 0"
        + " to 65535",
    "-p tcp --dport no-such-service | 25 | bad port \"no-such-service\" in --dport no-such-service; expected a"
        + " number from 0 to 65535 or a service name that /etc/services lists for tcp",
  })
  void unknownNamesAreRefusedWithWhereAndWhat(String rule, int column, String message) {
    Assumptions.assumeTrue(java.nio.file.Files.isReadable(java.nio.file.Path.of("/etc/services")),
        "skipped: no readable /etc/services here, so the message names that instead");
    String table = rule.contains("DNAT") || rule.contains("REDIRECT") ? "nat" : "filter";
    String chain = table.equals("nat") ? "PREROUTING" : "INPUT";
    ParseException e = assertThrows(ParseException.class,
        () -> RestoreParser.parse("t", "*" + table + "\n#\n-A " + chain + " " + rule + "\nCOMMIT\n", IpFamily.V4));
    // The argument's column on line 3 (after "-A PREROUTING " or "-A INPUT "), counted by hand.
    assertTrue(e.getMessage().startsWith("line 3, column " + column + ": " + message), e.getMessage());
  }
}
