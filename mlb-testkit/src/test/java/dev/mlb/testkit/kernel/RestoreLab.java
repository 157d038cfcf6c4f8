package dev.mlb.testkit.kernel;

import dev.mlb.api.IpFamily;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One network namespace per test family for loading restore files for real and saving them back.
 *
 * <pre>{@code
 * try (RestoreLab lab = RestoreLab.open(IpFamily.V4, "restore")) {
 *   RestoreLab.Loaded r = lab.load(text);  // empty the namespace, iptables-restore, iptables-save
 *   r.exitCode();                          // iptables-restore's
 *   r.saved();                             // iptables-save's output without its # lines
 * }
 * }</pre>
 *
 * <p>{@link #load} first empties the namespace, so that {@code iptables-save} shows exactly the
 * tables of the last load. With iptables-nft (the default here) and {@code nft} installed that is
 * {@code nft flush ruleset} inside the namespace; otherwise the namespace is replaced by a fresh
 * one. (With iptables-legacy a fresh namespace may already show tables; the kernel tests assume
 * iptables-nft, the default of current distributions.) Nothing ever runs outside a namespace this
 * lab created.
 */
final class RestoreLab implements AutoCloseable {
  private final IpFamily family;
  private final String purpose;
  private final boolean canFlush;
  private Netns ns;
  private boolean dirty;

  private RestoreLab(IpFamily family, String purpose) {
    this.family = family;
    this.purpose = purpose;
    this.ns = Netns.create(purpose);
    boolean flush = false;
    try {
      flush = KernelSupport.onPath("nft") && ns.run(saveTool(), "--version").check().stdout().contains("nf_tables");
    } catch (RuntimeException e) {
      ns.close();
      throw e;
    }
    this.canFlush = flush;
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

  /**
   * Empties the namespace of every table, loads {@code text} with the real restore tool and, if
   * that succeeded, saves it back; all in one {@code ip netns exec}, which is the slow part.
   */
  Loaded load(String text) {
    String script = (canFlush ? "nft flush ruleset || exit 90; " : "") + restoreTool() + " || exit $?; exec "
        + saveTool();
    if (!canFlush && dirty) {
      ns.close();
      ns = Netns.create(purpose);
    }
    dirty = true;
    Netns.Result r = ns.run("sh", "-c", script).stdin(text).run();
    return new Loaded(r.exitCode(), r.stderr(), r.exitCode() == 0 ? stripComments(r.stdout()) : "");
  }

  /**
   * {@link #load} for many texts, in one {@code ip netns exec} when the namespace can be emptied
   * in place (entering a namespace costs far more than a restore).
   */
  List<Loaded> loadAll(List<String> texts) {
    if (!canFlush) {
      return texts.stream().map(this::load).collect(Collectors.toList());
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("mlb-restore-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      for (int i = 0; i < texts.size(); i++) {
        Files.writeString(dir.resolve(String.format("%05d.rules", i)), texts.get(i));
      }
      String script = "cd '" + dir + "' || exit 91\n"
          + "for f in *.rules; do\n"
          + "  nft flush ruleset || exit 90\n"
          + "  " + restoreTool() + " < \"$f\" 2> \"$f.err\"; echo $? > \"$f.rc\"\n"
          + "  " + saveTool() + " > \"$f.saved\"\n"
          + "done\n";
      dirty = true;
      ns.run("sh", "-c", script).timeout(Duration.ofSeconds(150)).check();
      List<Loaded> out = new ArrayList<>();
      for (int i = 0; i < texts.size(); i++) {
        String f = String.format("%05d.rules", i);
        int rc = Integer.parseInt(Files.readString(dir.resolve(f + ".rc")).strip());
        String saved = rc == 0 ? stripComments(Files.readString(dir.resolve(f + ".saved"))) : "";
        out.add(new Loaded(rc, Files.readString(dir.resolve(f + ".err")), saved));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteFlatDirectory(dir);
    }
  }

  private static void deleteFlatDirectory(Path dir) {
    File[] files = dir.toFile().listFiles();
    if (files != null) {
      for (File f : files) {
        f.delete();
      }
    }
    dir.toFile().delete();
  }

  private static String stripComments(String saved) {
    return saved.lines().filter(l -> !l.startsWith("#")).map(l -> l + "\n").collect(Collectors.joining());
  }

  /**
   * The outcome of {@link #load}.
   *
   * @param exitCode the restore tool's exit code (90: the namespace could not be emptied)
   * @param stderr what the restore tool printed on error
   * @param saved the save tool's output without {@code #} lines; empty unless the load succeeded
   */
  record Loaded(int exitCode, String stderr, String saved) {}

  @Override
  public void close() {
    ns.close();
  }
}
