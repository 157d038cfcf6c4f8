package dev.mlb.testkit.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads input text strictly: bytes that are not UTF-8 are an error, never silently replaced. */
final class Input {
  private Input() {}

  /**
   * The text of {@code file}, as {@link #decode} reads it. An ASCII file, as rulesets nearly always
   * are, is held once: {@code Files.readString} as ASCII hands its byte array to the string, where
   * reading the bytes and then making the string would hold two copies (for a 15 MB ruleset, 15 MB
   * more peak memory, which the process keeps). Other files are read again and decoded as UTF-8.
   *
   * @throws IOException if the file cannot be read, or naming the line and column of the first byte
   *     that is not UTF-8
   */
  static String read(Path file) throws IOException {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (CharacterCodingException notAscii) {
      return decode(Files.readAllBytes(file));
    }
  }

  /**
   * The text of {@code bytes}.
   *
   * @throws IOException naming the line and column of the first byte that is not UTF-8
   */
  static String decode(byte[] bytes) throws IOException {
    // ASCII, as rulesets nearly always are: one copy, no char buffer twice the text's size.
    boolean ascii = true;
    for (byte b : bytes) {
      if (b < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(bytes, StandardCharsets.US_ASCII);
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length + 1);
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
