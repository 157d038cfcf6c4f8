package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputTest {

  private static String text(int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(i % 61 == 60 ? '\n' : (char) ('!' + i % 90));
    }
    return b.toString();
  }

  @Test
  void readsFilesOfEverySizeAroundItsPieces(@TempDir Path dir) throws IOException {
    // Empty, one piece, a piece and a byte, and large enough to be followed by a full collection.
    for (int length : new int[] {0, 1, 8191, 8192, 8193, 3 * 8192, (4 << 20) + 5}) {
      Path f = dir.resolve("f" + length);
      String expected = text(length);
      Files.writeString(f, expected, StandardCharsets.US_ASCII);
      assertEquals(expected, Input.read(f), "length " + length);
    }
  }

  @Test
  void readsUtf8AndRefusesOtherBytesAtTheirLineAndColumn(@TempDir Path dir) throws IOException {
    Path utf8 = dir.resolve("utf8");
    Files.writeString(utf8, "a\ncaf\u00e9 \u2713\n", StandardCharsets.UTF_8);
    assertEquals("a\ncaf\u00e9 \u2713\n", Input.read(utf8));
    Path latin1 = dir.resolve("latin1");
    Files.write(latin1, "ab\ncd\u00e9f\n".getBytes(StandardCharsets.ISO_8859_1));
    assertEquals("line 2, column 3: byte 0xe9 is not UTF-8; expected UTF-8 text",
        assertThrows(IOException.class, () -> Input.read(latin1)).getMessage());
  }

  @Test
  void readsAFileWhoseSizeIsNotKnownInAdvance(@TempDir Path dir) throws Exception {
    // A named pipe has size 0 until it is read: the array grows as the text comes.
    Path fifo = dir.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    String expected = text(100_000);
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try (OutputStream out = Files.newOutputStream(fifo)) {
        out.write(expected.getBytes(StandardCharsets.US_ASCII));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertEquals(expected, Input.read(fifo));
    writer.get();
  }
}
