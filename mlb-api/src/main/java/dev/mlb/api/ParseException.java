package dev.mlb.api;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Text that could not be read, with the line, the column and what was expected there.
 *
 * <pre>{@code
 * line 7, column 33: unknown option "--evry" for -m statistic; expected --mode, --every, --packet or --probability
 *   -A balance1 -m statistic --mode [*]--evry 2 --packet 0 -j RETURN
 * }</pre>
 *
 * <p>{@link #getMessage()} starts with {@code line N, column M: }, then the problem, then, on the
 * next line, the offending line with a {@code [*]} marker inserted where the problem starts (as
 * jOOQ's parser does). Lines and columns count from 1; a column counts characters.
 */
public final class ParseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final int line;
  private final int column;
  private final String problem;
  private final String excerpt;

  /**
   * @param source the file or stream name ("-" for standard input), or empty
   * @param line 1-based line number
   * @param column 1-based column number
   * @param problem what is wrong and what was expected
   * @param lineText the whole offending line, without its line terminator
   */
  public ParseException(String source, int line, int column, String problem, String lineText) {
    super(format(line, column, problem, lineText));
    checkArgument(line >= 1 && column >= 1, "line %s and column %s must be positive", line, column);
    this.source = source == null ? "" : source;
    this.line = line;
    this.column = column;
    this.problem = problem;
    this.excerpt = excerpt(lineText, column);
  }

  public String source() {
    return source;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }

  /** What is wrong and what was expected, without the position. */
  public String problem() {
    return problem;
  }

  /** The offending line with {@code [*]} where the problem starts. */
  public String excerpt() {
    return excerpt;
  }

  /** {@code SOURCE: line N, column M: ...} when the source is known, else the plain message. */
  public String describe() {
    return source.isEmpty() ? getMessage() : source + ": " + getMessage();
  }

  private static String format(int line, int column, String problem, String lineText) {
    return "line " + line + ", column " + column + ": " + problem + "\n  " + excerpt(lineText, column);
  }

  private static String excerpt(String lineText, int column) {
    String text = lineText == null ? "" : lineText;
    int at = Math.min(Math.max(column - 1, 0), text.length());
    return text.substring(0, at) + "[*]" + text.substring(at);
  }
}
