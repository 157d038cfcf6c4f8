package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.findings;
import static dev.mlb.netfilter.MatchTestSupport.read;
import static dev.mlb.netfilter.MatchTestSupport.refusal;
import static dev.mlb.netfilter.MatchTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code -m recent} built in code, its checks and mlb's refusals. The canonical forms read from
 * text are in {@code extension-cases/recent.cases} (recorded from iptables-nft 1.8.9); the expected
 * texts below are iptables-save's lines from there.
 */
class RecentMatchTest {

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    assertEquals(" -m recent --set --name DEFAULT --mask 255.255.255.255 --rsource",
        render(RecentMatch.set(IpFamily.V4, RecentMatch.DEFAULT_NAME)));
    assertEquals(" -m recent --update --seconds 60 --hitcount 4 --rttl --name SSH --mask 255.255.255.255 --rsource",
        render(RecentMatch.update(IpFamily.V4, "SSH").withSeconds(60).withHitcount(4).withRttl()));
    assertEquals(" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-X --mask"
        + " ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource",
        render(RecentMatch.rcheck(IpFamily.V6, "KUBE-SEP-X").withSeconds(10800).withReap()));
    assertEquals(" -m recent --set --name v6 --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rdest",
        render(RecentMatch.set(IpFamily.V6, "v6").byDestination()));
    assertEquals(" -m recent ! --update --seconds 30 --hitcount 2 --name v6 --mask ffff:ffff:: --rsource",
        render(RecentMatch.update(IpFamily.V6, "v6").inverted().withSeconds(30).withHitcount(2)
            .withMask(IpAddress.parse("ffff:ffff::"))));
    assertEquals(" -m recent --remove --name DEFAULT --mask 255.255.255.255 --rsource",
        render(RecentMatch.remove(IpFamily.V4, "DEFAULT")));
    // Read from text: the defaults iptables fills in.
    assertEquals(RecentMatch.set(IpFamily.V4, "DEFAULT"), read(IpFamily.V4, "-m recent --set").matches().get(0));
    assertEquals(RecentMatch.rcheck(IpFamily.V4, "DEFAULT").withMask(IpAddress.parse("8.0.0.1")),
        read(IpFamily.V4, "-m recent --rcheck --mask 010.1").matches().get(0));
    assertEquals("recent", RecentMatch.set(IpFamily.V4, "a").module());
    assertEquals("--update", RecentMatch.Command.UPDATE.option());
    assertThrows(IllegalArgumentException.class, () -> RecentMatch.set(IpFamily.V4, null));
    assertThrows(IllegalArgumentException.class, () -> RecentMatch.rcheck(IpFamily.V4, "a").withSeconds(1L << 32));
  }

  @Test
  void refusalsNameTheLineTheColumnAndWhatWasExpected() {
    // "-A INPUT -m recent " is 19 characters: the first option starts at column 20.
    assertEquals("line 2, column 10: -m recent needs --set, --rcheck, --update or --remove",
        refusal(IpFamily.V4, "recent", " --name foo"));
    assertEquals("line 2, column 26: -m recent: --rttl cannot be given with --set",
    refusal(IpFamily.V6, "recent", " --set --rttl"));
    assertEquals("line 2, column 27: -m recent: --set cannot be given with --rttl",
    refusal(IpFamily.V4, "recent", " --rttl --set"));
    assertEquals("line 2, column 29: -m recent: --set cannot be given with --rcheck; expected one of --set, --rcheck,"
        + " --update or --remove", refusal(IpFamily.V4, "recent", " --rcheck --set"));
    assertEquals("line 2, column 29: -m recent: --reap needs --seconds",
    refusal(IpFamily.V4, "recent", " --rcheck --reap"));
    assertEquals("line 2, column 39: -m recent: bad value \"0\" for --seconds; expected a number of seconds from 1 to"
        + " 4294967295", refusal(IpFamily.V4, "recent", " --rcheck --seconds 0"));
    assertEquals("line 2, column 40: -m recent: bad value \"4294967296\" for --hitcount; expected a number from 0 to"
        + " 4294967295 (the kernel takes up to 65535)",
        refusal(IpFamily.V4, "recent", " --rcheck --hitcount 4294967296"));
    assertEquals("line 2, column 36: -m recent: bad value \"2001:db8::\" for --mask; expected an IPv4 address such as"
        + " 255.255.255.0", refusal(IpFamily.V4, "recent", " --rcheck --mask 2001:db8::"));
    assertEquals("line 2, column 36: -m recent: bad value \"64\" for --mask; expected an IPv6 address such as"
        + " ffff:ffff:ffff:ffff::", refusal(IpFamily.V6, "recent", " --rcheck --mask 64"));
    assertTrue(refusal(IpFamily.V4, "recent", " --rcheck --name a --name b")
        .endsWith("-m recent: option \"--name\" can only be given once"));
    assertTrue(refusal(IpFamily.V4, "recent", " --rcheck ! --seconds 5").endsWith("-m recent: option \"--seconds\" cannot be negated"));
  }

  @Test
  void validationReportsWhatTheKernelRefuses() {
    String at = "table filter, chain INPUT, rule 1: -m recent ";
    assertEquals(List.of(), findings(IpFamily.V4, RecentMatch.rcheck(IpFamily.V4, "a").withHitcount(65_535)));
    assertEquals(List.of("error [recent-hitcount] " + at + "--rcheck --name a: --hitcount 65536 is above 65535; the"
        + " kernel refuses it"), findings(IpFamily.V4, RecentMatch.rcheck(IpFamily.V4, "a").withHitcount(65_536)));
    assertEquals(List.of("error [recent-options] " + at + "--set --name a: --seconds, --hitcount, --rttl and --reap go"
        + " with --rcheck or --update; the kernel refuses them with --set"),
        findings(IpFamily.V4, RecentMatch.set(IpFamily.V4, "a").withSeconds(5)));
    assertEquals(List.of("error [recent-options] " + at + "--remove --name a: --seconds, --hitcount, --rttl and --reap"
        + " go with --rcheck or --update; the kernel refuses them with --remove"),
        findings(IpFamily.V4, RecentMatch.remove(IpFamily.V4, "a").withHitcount(2)));
    assertEquals(List.of("error [recent-options] " + at + "--update --name a: --reap needs --seconds; the kernel"
        + " refuses it alone"), findings(IpFamily.V4, RecentMatch.update(IpFamily.V4, "a").withReap()));
    assertEquals(List.of("error [recent-name] " + at + "--rcheck --name ..: the kernel names a /proc file after it and"
        + " refuses an empty name, \".\", \"..\" and names with '/'"),
        findings(IpFamily.V4, RecentMatch.rcheck(IpFamily.V4, "..")));
    assertEquals(List.of("error [recent-name] " + at + "--rcheck --name " + "n".repeat(200) + ": the name is 200 bytes;"
        + " the kernel takes at most 199"), findings(IpFamily.V4, RecentMatch.rcheck(IpFamily.V4, "n".repeat(200))));
    assertEquals(List.of("error [recent-mask] " + at + "--rcheck --name a: --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        + " is an IPv6 address in an IPv4 ruleset"), findings(IpFamily.V4, RecentMatch.rcheck(IpFamily.V6, "a")));
    // recent.cases: --seconds 4294967295 loads and iptables-save 1.8.9 prints -1.
    assertEquals(" -m recent --rcheck --seconds -1 --name DEFAULT --mask 255.255.255.255 --rsource",
        render(RecentMatch.rcheck(IpFamily.V4, "DEFAULT").withSeconds(4_294_967_295L)));
    assertEquals(List.of("warning [recent-seconds-unreadable] " + at + "--rcheck --name a: --seconds 2147483648 is"
        + " printed as -2147483648 by iptables-save 1.8.9 (%d), which iptables cannot read back"),
        findings(IpFamily.V4, RecentMatch.rcheck(IpFamily.V4, "a").withSeconds(2_147_483_648L)));
    assertEquals(List.of("warning [name-unreadable] " + at + "--rcheck --name a b: iptables-save prints the name bare,"
        + " and a space in it does not read back"), findings(IpFamily.V4, RecentMatch.rcheck(IpFamily.V4, "a b")));
  }

  @Test
  void rulesSharingAListWithAnotherMaskAreWarnedAbout() {
    // The kernel loads both (checked with iptables-nft-restore) and masks with the first rule's mask.
    Rule set = read(IpFamily.V4, "-m recent --set --name x --mask 255.255.255.0");
    Rule check = read(IpFamily.V4, "-m recent --rcheck --name x --mask 255.255.0.0 --rdest --hitcount 30");
    Rule sameMask = read(IpFamily.V4, "-m recent --update --name x --mask 255.255.255.0 --seconds 5");
    assertEquals(List.of(), findings(IpFamily.V4, set, sameMask));
    assertEquals(List.of("warning [recent-name-shared] table filter, chain INPUT, rule 3: -m recent --name x has"
        + " another --mask than table filter, chain INPUT, rule 1; the kernel keeps one list per name and masks"
        + " addresses with the mask of the rule loaded first"), findings(IpFamily.V4, set, sameMask, check));
  }
}
