package dev.mlb.testkit.kernel;

import dev.mlb.api.IpFamily;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private network namespace for loading restore files for real and saving them back.
 *
 * <pre>{@code
 * try (RestoreLab lab = RestoreLab.open(IpFamily.V4, "restore")) {
 *   RestoreLab.Loaded r = lab.load(text);  // reset, iptables-restore, iptables-save
 *   r.exitCode();                          // iptables-restore's
 *   r.saved();                             // iptables-save's output without its # lines
 * }
 * }</pre>
 *
 * <p>Each load starts from the same state: first every table (mangle, security, raw, filter, nat)
 * is restored empty, which drops its rules and user chains and resets its policies. A table stays
 * once created, so {@code iptables-save} then also prints the tables the loaded text does not
 * have; {@link Loaded#saved()} leaves those out, but only when they are exactly in that empty
 * state (anything else is kept, so that it shows in a comparison). This needs nothing but the
 * restore and save tools, and never runs anything outside the namespace this lab created.
 */
final class RestoreLab implements AutoCloseable {
  private static final Pattern TABLE_LINE = Pattern.compile("(?m)^\\*(\\S+)$");

  /** Every table, empty, as iptables-save prints it. */
  private static final String EMPTY_TABLES = String.join("",
      "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
          + ":POSTROUTING ACCEPT [0:0]\nCOMMIT\n",
      "*security\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n");

  private final IpFamily family;
  private final Netns ns;

  private RestoreLab(IpFamily family, String purpose) {
    this.family = family;
    this.ns = Netns.create(purpose);
  }

  static RestoreLab open(IpFamily family, String purpose) {
    return new RestoreLab(family, purpose);
  }

  String restoreTool() {
    return family == IpFamily.V4 ? "iptables-restore" : "ip6tables-restore";
  }

  String saveTool() {
    return family == IpFamily.V4 ? "iptables-save" : "ip6tables-save";
  }

  /** Runs {@code commands} (shell commands, such as {@code ipset create ...}) in the namespace, once each. */
  void setup(List<String> commands) {
    for (String c : commands) {
      ns.run("sh", "-c", c).timeout(Duration.ofSeconds(30)).check();
    }
  }

  /** Resets the namespace, loads {@code text} with the real restore tool and saves it back. */
  Loaded load(String text) {
    return loadAll(List.of(text)).get(0);
  }

  /**
   * {@link #load} for many texts, all in one {@code ip netns exec} (entering a namespace costs far
   * more than a restore). The results are in the order of {@code texts}.
   */
  List<Loaded> loadAll(List<String> texts) {
    Path dir;
    try {
      dir = Files.createTempDirectory("mlb-restore-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      Files.writeString(dir.resolve("empty"), EMPTY_TABLES);
      for (int i = 0; i < texts.size(); i++) {
        Files.writeString(dir.resolve(String.format("%05d.rules", i)), texts.get(i));
      }
      String script = "cd '" + dir + "' || exit 91\n"
          + "for f in *.rules; do\n"
          + "  " + restoreTool() + " < empty || exit 90\n"
          + "  " + restoreTool() + " < \"$f\" 2> \"$f.err\"; echo $? > \"$f.rc\"\n"
          + "  " + saveTool() + " > \"$f.saved\"\n"
          + "done\n";
      ns.run("sh", "-c", script).timeout(Duration.ofSeconds(150)).check();
      List<Loaded> out = new ArrayList<>();
      for (int i = 0; i < texts.size(); i++) {
        String f = String.format("%05d.rules", i);
        int rc = Integer.parseInt(Files.readString(dir.resolve(f + ".rc")).strip());
        String saved = rc == 0 ? onlyTablesOf(texts.get(i), Files.readString(dir.resolve(f + ".saved"))) : "";
        out.add(new Loaded(rc, Files.readString(dir.resolve(f + ".err")), saved));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      File[] files = dir.toFile().listFiles();
      for (File f : files == null ? new File[0] : files) {
        f.delete();
      }
      dir.toFile().delete();
    }
  }

  /**
   * {@code saved} without its {@code #} lines and without the tables that {@code loaded} does not
   * have and that are exactly as the reset left them.
   */
  static String onlyTablesOf(String loaded, String saved) {
    Set<String> tables = new HashSet<>();
    Matcher m = TABLE_LINE.matcher(loaded);
    while (m.find()) {
      tables.add(m.group(1));
    }
    StringBuilder out = new StringBuilder();
    StringBuilder block = null;
    String blockTable = null;
    for (String line : saved.split("\n", -1)) {
      if (line.startsWith("#") || line.isEmpty()) {
        continue;
      }
      if (line.startsWith("*") && block == null) {
        block = new StringBuilder();
        blockTable = line.substring(1);
      }
      (block != null ? block : out).append(line).append('\n');
      if (line.equals("COMMIT") && block != null) {
        String b = block.toString();
        if (tables.contains(blockTable) || !EMPTY_TABLES.contains(b)) {
          out.append(b);
        }
        block = null;
      }
    }
    if (block != null) {
      out.append(block);
    }
    return out.toString();
  }

  /**
   * The outcome of {@link #load}.
   *
   * @param exitCode the restore tool's exit code
   * @param stderr what the restore tool printed on error
   * @param saved the save tool's output without {@code #} lines and without tables left empty by
   *     the reset that the loaded text did not have; empty unless the load succeeded
   */
  record Loaded(int exitCode, String stderr, String saved) {}

  @Override
  public void close() {
    ns.close();
  }
}
