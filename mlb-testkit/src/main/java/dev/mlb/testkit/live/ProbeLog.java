package dev.mlb.testkit.live;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The last probe round of each uplink, as {@code mlb watch} leaves it next to the state record
 * ({@code NAME.probes.json}) for {@code mlb status} to show.
 *
 * <pre>{@code
 * ProbeLog.write(dir, "mlb", Map.of("isp2", new ProbeLog.Round(now, false, "203.0.113.9: no answer within 1s")));
 * ProbeLog.read(dir, "mlb").get("isp2").ok();   // false
 * }</pre>
 */
public final class ProbeLog {
  private ProbeLog() {}

  /**
   * One uplink's last probe round.
   *
   * @param at when the round started
   * @param ok whether it succeeded (enough targets answered)
   * @param detail each target's answer, such as {@code "203.0.113.9: answered in 0.4 ms"}
   */
  public record Round(Instant at, boolean ok, String detail) {
    @Override
    public String toString() {
      return at + " " + (ok ? "ok" : "failed") + ": " + detail;
    }
  }

  /** The file of the policy named {@code name} in {@code dir}. */
  public static Path file(Path dir, String name) {
    checkArgument(name.matches("[A-Za-z0-9_-]{1,32}"), "probe log name \"%s\"", name);
    return dir.resolve(name + ".probes.json");
  }

  /** Replaces the log atomically with {@code rounds} (uplink name to its last round). */
  public static void write(Path dir, String name, Map<String, Round> rounds) {
    StringWriter out = new StringWriter();
    try (JsonWriter w = new JsonWriter(out)) {
      w.setIndent("  ");
      w.beginObject();
      for (Map.Entry<String, Round> e : rounds.entrySet()) {
        w.name(e.getKey()).beginObject().name("at").value(e.getValue().at().toString())
            .name("ok").value(e.getValue().ok()).name("detail").value(e.getValue().detail()).endObject();
      }
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StateRecord.replace(file(dir, name), out + "\n", "probe log");
  }

  /**
   * The last rounds, by uplink; empty if no watcher wrote any.
   *
   * @throws LiveException if the file cannot be read or is damaged
   */
  public static Map<String, Round> read(Path dir, String name) {
    Path f = file(dir, name);
    if (!Files.exists(f)) {
      return Map.of();
    }
    try {
      JsonObject o = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
      ImmutableMap.Builder<String, Round> out = ImmutableMap.builder();
      for (String uplink : o.keySet()) {
        JsonObject r = o.getAsJsonObject(uplink);
        out.put(uplink, new Round(Instant.parse(r.get("at").getAsString()), r.get("ok").getAsBoolean(),
            r.get("detail").getAsString()));
      }
      return out.build();
    } catch (IOException e) {
      throw new LiveException("cannot read mlb's probe log " + f + ": " + e.getMessage(), e);
    } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException
        | java.time.format.DateTimeParseException e) {
      throw new LiveException("mlb's probe log " + f + " is damaged (" + e.getMessage() + "); mlb watch"
          + " rewrites it every round, or delete it", e);
    }
  }

  /** Deletes the log, if there is one. */
  public static void delete(Path dir, String name) {
    try {
      Files.deleteIfExists(file(dir, name));
    } catch (IOException e) {
      throw new LiveException("cannot delete mlb's probe log " + file(dir, name) + ": " + e.getMessage(), e);
    }
  }

  static Optional<Round> of(Map<String, Round> rounds, String uplink) {
    return Optional.ofNullable(rounds.get(uplink));
  }
}
