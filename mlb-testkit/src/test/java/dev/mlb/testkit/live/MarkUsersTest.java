package dev.mlb.testkit.live;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Rule;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Which mark bits a rule uses, and which bits are free (the rules are the class comment's, by hand). */
class MarkUsersTest {

  private static Rule rule(String spec) {
    return RestoreParser.parse("t", "*mangle\n:c - [0:0]\n-A c " + spec + "\nCOMMIT\n", IpFamily.V4)
        .table(dev.mlb.netfilter.TableName.MANGLE).get().chain("c").get().rules().get(0);
  }

  @Test
  void bitsOfEachKindOfUser() {
    // kube-proxy: --or-mark 0x4000 and a masked test.
    assertEquals(0x4000L, MarkUsers.bits(rule("-j MARK --set-xmark 0x4000/0x4000")));
    assertEquals(0x4000L, MarkUsers.bits(rule("-m mark ! --mark 0x4000/0x4000 -j RETURN")));
    // Tailscale: a value under its mask writes the whole mask.
    assertEquals(0xff0000L, MarkUsers.bits(rule("-j MARK --set-xmark 0x40000/0xff0000")));
    // Exact values own their value's bits: a test of the whole mark, Docker's whole-value write.
    assertEquals(0xca6cL, MarkUsers.bits(rule("-m mark --mark 0xca6c -j ACCEPT")));
    assertEquals(0xd0c4e3L, MarkUsers.bits(rule("-j MARK --set-xmark 0xd0c4e3/0xffffffff")));
    // wg-quick's whole-mark copies claim nothing; a masked copy claims its masks.
    assertEquals(0L, MarkUsers.bits(rule("-j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff")));
    assertEquals(0xff0000L, MarkUsers.bits(rule("-j CONNMARK --save-mark --nfmask 0xff0000 --ctmask 0xff0000")));
    // Both a test and a write.
    assertEquals(0x3f00L, MarkUsers.bits(rule("-m mark --mark 0x0/0x3f00 -j MARK --set-xmark 0x100/0x3f00")));
    assertEquals(0L, MarkUsers.bits(rule("-p tcp -j ACCEPT")));
  }

  @Test
  void freeMasksPreferTheGivenBitsThenTheHighest() {
    List<MarkUsers.User> users = List.of(new MarkUsers.User("a", 0x0000ffffL), new MarkUsers.User("b", 0x00ff0000L));
    assertEquals(OptionalLong.of(0x0f000000L), MarkUsers.freeMask(users, 4, 0x0f000000L));
    List<MarkUsers.User> inDefault = List.of(new MarkUsers.User("calico-ebpf", 0x1ff00000L));
    // Bits 20-28 taken: no run of 4 in the preferred bits, none above bit 28; the highest free is 16-19.
    assertEquals(OptionalLong.of(0x000f0000L), MarkUsers.freeMask(inDefault, 4, 0x0f000000L));
    assertEquals(OptionalLong.empty(), MarkUsers.freeMask(List.of(new MarkUsers.User("all", 0xfffffff0L),
        new MarkUsers.User("low", 0x5L)), 3, 0x0f000000L));
  }
}
