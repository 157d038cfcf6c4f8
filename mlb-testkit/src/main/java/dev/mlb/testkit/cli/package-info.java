/**
 * The {@code mlb} command line (picocli): each command parses its arguments, calls the library and
 * prints. Logic a library user would need lives in the other packages, not here.
 *
 * <p>May use every other package of mlb-testkit; nothing uses it.
 */
package dev.mlb.testkit.cli;
