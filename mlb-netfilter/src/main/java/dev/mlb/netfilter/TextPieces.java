package dev.mlb.netfilter;

import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of text {@link RestoreWriter#write} hands on, kept in order and joined once.
 *
 * <pre>{@code
 * TextPieces pieces = new TextPieces();
 * RestoreWriter.write(ruleset, pieces);
 * String text = pieces.text();   // what RestoreWriter.render returns
 * }</pre>
 */
final class TextPieces implements Appendable {
  private final List<String> pieces = new ArrayList<>();

  @Override
  public TextPieces append(CharSequence csq) {
    pieces.add(csq.toString());
    return this;
  }

  @Override
  public TextPieces append(CharSequence csq, int start, int end) {
    return append(csq.subSequence(start, end));
  }

  @Override
  public TextPieces append(char c) {
    return append(String.valueOf(c));
  }

  /** The pieces, in the order they came. */
  List<String> pieces() {
    return pieces;
  }

  /** The pieces joined: one allocation the size of the text. */
  String text() {
    return pieces.size() == 1 ? pieces.get(0) : String.join("", pieces);
  }
}
