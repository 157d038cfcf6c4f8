package dev.mlb.testkit.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-change command: its arguments and environment, in order; its failures in one line each. */
class ChangeHookTest {
  @TempDir Path dir;
  final List<String> log = Collections.synchronizedList(new ArrayList<>());

  @Test
  void runsWithTheUplinkAndStateInOrder() throws IOException {
    Path out = dir.resolve("changes");
    ChangeHook hook = ChangeHook.of(List.of("sh", "-c",
        "echo \"$1 $2 $MLB_UPLINK $MLB_STATE $MLB_INTERFACE $MLB_POLICY\" >> " + out, "hook"),
        Duration.ofSeconds(10), log::add);
    hook.run("isp2", "ppp1", "down", "mlb");
    hook.run("isp2", "ppp1", "up", "mlb");
    hook.close();
    assertEquals(List.of("isp2 down isp2 down ppp1 mlb", "isp2 up isp2 up ppp1 mlb"), Files.readAllLines(out));
    assertEquals(List.of(), log);
  }

  @Test
  void failuresAreOneLineEach() {
    ChangeHook failing = ChangeHook.of(List.of("sh", "-c", "echo first >&2; echo 'no route to the pager' >&2; exit 3",
        "hook"), Duration.ofSeconds(10), log::add);
    failing.run("isp1", "ppp0", "down", "mlb");
    failing.close();
    ChangeHook slow = ChangeHook.of(List.of("sh", "-c", "sleep 30", "hook"), Duration.ofMillis(300), log::add);
    slow.run("isp1", "ppp0", "up", "mlb");
    slow.close();
    ChangeHook missing = ChangeHook.of(List.of(dir.resolve("nope").toString()), Duration.ofSeconds(1), log::add);
    missing.run("isp1", "ppp0", "up", "mlb");
    missing.close();
    assertEquals(3, log.size(), log.toString());
    assertEquals("on-change: sh -c echo first >&2; echo 'no route to the pager' >&2; exit 3 hook isp1 down exited 3:"
        + " no route to the pager", log.get(0));
    assertEquals("on-change: sh -c sleep 30 hook isp1 up ran longer than 0.3s and was killed", log.get(1));
    assertEquals("on-change: cannot run " + dir.resolve("nope") + " isp1 up: Cannot run program \""
        + dir.resolve("nope") + "\": error=2, No such file or directory", log.get(2));
    assertThrows(IllegalArgumentException.class, () -> ChangeHook.of(List.of(), Duration.ofSeconds(1), log::add));
  }
}
