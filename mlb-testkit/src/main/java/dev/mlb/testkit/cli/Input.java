package dev.mlb.testkit.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Reads input text strictly: bytes that are not UTF-8 are an error, never silently replaced. */
final class Input {
  private Input() {}

  /**
   * The text of {@code file}, as {@link #decode} reads it. The file is read 8 KiB at a time straight
   * into one array of its size: {@code Files.readAllBytes} reads through a native buffer as large as
   * the file, which the JVM zeroes first (for a 15 MB ruleset, about 80 ms of page faults more).
   * The bytes are then copied into the string once.
   *
   * @throws IOException if the file cannot be read, or naming the line and column of the first byte
   *     that is not UTF-8
   */
  static String read(Path file) throws IOException {
    String text = readText(file);
    if (text.length() >= LARGE) {
      // The file's bytes are garbage now (they lived only in readText's frame), but an array this
      // large was put straight in the old generation, where the serial collector reuses its memory
      // only after a full collection (and, with the launcher's -XX:MarkSweepDeadRatio=0, a complete
      // one): without it the process would keep the bytes (15 MB more peak memory for a 15 MB
      // ruleset). With just the text alive the collection is short.
      System.gc();
    }
    return text;
  }

  private static String readText(Path file) throws IOException {
    byte[] bytes;
    int length = 0;
    try (InputStream in = Files.newInputStream(file)) {
      long size = Files.size(file);
      bytes = new byte[(int) Math.min(Math.max(size, 8192), Integer.MAX_VALUE - 16)];
      while (true) {
        if (length == bytes.length) {
          // Full: grow only if the file goes on (it changed, or its size was not known).
          int next = in.read();
          if (next < 0) {
            break;
          }
          if (length >= Integer.MAX_VALUE - 16) {
            throw new IOException("larger than 2 GB; mlb reads files of up to 2 GB");
          }
          bytes = Arrays.copyOf(bytes, (int) Math.min(2L * length, Integer.MAX_VALUE - 16));
          bytes[length++] = (byte) next;
        }
        // A read of 8 KiB goes through a small native buffer that the JVM keeps for the next one.
        int n = in.read(bytes, length, Math.min(8192, bytes.length - length));
        if (n < 0) {
          break;
        }
        length += n;
      }
    }
    return decode(bytes, length);
  }

  /** A text at least this long is followed by a full collection ({@link #read}). */
  private static final int LARGE = 4 << 20;

  /**
   * The text of {@code bytes}.
   *
   * @throws IOException naming the line and column of the first byte that is not UTF-8
   */
  static String decode(byte[] bytes) throws IOException {
    return decode(bytes, bytes.length);
  }

  /** {@link #decode(byte[])} of the first {@code length} bytes. */
  private static String decode(byte[] bytes, int length) throws IOException {
    // ASCII, as rulesets nearly always are: one copy, no char buffer twice the text's size.
    boolean ascii = true;
    for (int i = 0; i < length; i++) {
      if (bytes[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
    CharBuffer out = CharBuffer.allocate(length + 1);
    CoderResult result = decoder.decode(in, out, true);
    if (result.isError()) {
      int bad = in.position();
      out.flip();
      String before = out.toString();
      int line = 1 + (int) before.chars().filter(c -> c == '\n').count();
      int column = before.length() - before.lastIndexOf('\n');
      throw new IOException("line " + line + ", column " + column + ": byte 0x"
          + Integer.toHexString(bytes[bad] & 0xff) + " is not UTF-8; expected UTF-8 text");
    }
    decoder.flush(out);
    out.flip();
    return out.toString();
  }
}
