package dev.mlb.testkit.live;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import dev.mlb.api.IpFamily;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What mlb put on a router, kept in a small JSON file so that {@code mlb remove} and
 * {@code mlb status} work without the policy file and after a reboot: what mlb owns there (its
 * chain prefix, rule protocol, mark mask, families and iptables backend) and each sysctl value it
 * changed, with the value it found before.
 *
 * <pre>{@code
 * StateRecord r = StateRecord.read(Path.of("/var/lib/mlb"), "mlb").orElseThrow();
 * r.ownership().chainPrefix();     // "mlb-"
 * r.sysctl().get(0);               // net.ipv4.ip_forward: 0 -> 1
 * r.write(Path.of("/var/lib/mlb")); // /var/lib/mlb/mlb.json, replaced atomically
 * }</pre>
 *
 * @param ownership what mlb owns on the router
 * @param backend the iptables backend the rules went in with
 * @param sysctl the sysctl values mlb changed, in the order it changed them
 * @param rules per family, the rules mlb applied ({@code iptables-restore} text), for {@code mlb
 *     status} and {@code mlb remove} without the policy file
 * @param routes per family, the ip rules and routes mlb applied ({@code ip -batch} text)
 * @param createdTables per family, the iptables-nft tables that did not exist before mlb used them
 *     ({@code mangle}, {@code nat}); a removal deletes them again once nothing else is in them
 * @param uplinks each uplink's state as applied: up or down, since when, and why
 */
public record StateRecord(Ownership ownership, Backend backend, ImmutableList<SysctlChange> sysctl,
    ImmutableMap<IpFamily, String> rules, ImmutableMap<IpFamily, String> routes,
    ImmutableMap<IpFamily, ImmutableList<String>> createdTables, ImmutableMap<String, UplinkState> uplinks) {

  /**
   * An uplink's state as mlb applied it.
   *
   * @param down whether new connections avoid it
   * @param since when it entered that state (the first apply, for an uplink that never changed)
   * @param cause what put it there: {@code "mlb apply"}, {@code "mlb apply --down"}, or the
   *     watcher's probe summary
   */
  public record UplinkState(boolean down, java.time.Instant since, String cause) {
    @Override
    public String toString() {
      return (down ? "down" : "up") + " since " + since + " (" + cause + ")";
    }
  }

  /** The uplinks that are down, by name. */
  public java.util.Set<String> down() {
    java.util.Set<String> out = new java.util.LinkedHashSet<>();
    uplinks.forEach((name, state) -> {
      if (state.down()) {
        out.add(name);
      }
    });
    return out;
  }

  /** The version of the file's layout. */
  static final int VERSION = 1;

  /**
   * One sysctl value mlb changed.
   *
   * @param key the setting, as {@code sysctl} names it
   * @param prior the value before mlb changed it
   * @param applied the value mlb set
   */
  public record SysctlChange(String key, String prior, String applied) {
    @Override
    public String toString() {
      return key + ": " + prior + " -> " + applied;
    }
  }

  /** The file of the record named {@code name} (the policy's chain prefix) in {@code dir}. */
  public static Path file(Path dir, String name) {
    checkArgument(name.matches("[A-Za-z0-9_-]{1,32}"), "state record name \"%s\"", name);
    return dir.resolve(name + ".json");
  }

  /** The record named {@code name} in {@code dir}, if there is one. */
  public static Optional<StateRecord> read(Path dir, String name) {
    Path f = file(dir, name);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(Files.readString(f, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new LiveException("cannot read mlb's state record " + f + ": " + e.getMessage(), e);
    } catch (JsonParseException | IllegalArgumentException | IllegalStateException | NullPointerException
        | UnsupportedOperationException e) {
      throw new LiveException("mlb's state record " + f + " is damaged (" + e.getMessage() + "); remove it only"
          + " once you know what mlb put on this router", e);
    }
  }

  static StateRecord parse(String text) {
    JsonObject o = JsonParser.parseString(text).getAsJsonObject();
    checkArgument(o.get("version").getAsInt() == VERSION, "version %s, expected %s", o.get("version"), VERSION);
    Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
    for (JsonElement f : o.getAsJsonArray("families")) {
      families.add(f.getAsString().equals("ipv4") ? IpFamily.V4 : f.getAsString().equals("ipv6") ? IpFamily.V6 : null);
    }
    checkArgument(!families.contains(null), "families %s", o.get("families"));
    Ownership own = new Ownership(o.get("chainPrefix").getAsString(), o.get("ruleProtocol").getAsInt(),
        Long.decode(o.get("markMask").getAsString()), ImmutableSet.copyOf(families));
    Backend backend = Backend.valueOf(o.get("backend").getAsString().toUpperCase(java.util.Locale.ROOT));
    ImmutableList.Builder<SysctlChange> sysctl = ImmutableList.builder();
    for (JsonElement e : o.getAsJsonArray("sysctl")) {
      JsonObject s = e.getAsJsonObject();
      sysctl.add(new SysctlChange(s.get("key").getAsString(), s.get("prior").getAsString(),
          s.get("applied").getAsString()));
    }
    ImmutableMap.Builder<IpFamily, ImmutableList<String>> created = ImmutableMap.builder();
    JsonObject c = o.getAsJsonObject("createdTables");
    for (IpFamily f : IpFamily.values()) {
      JsonElement e = c == null ? null : c.get(f == IpFamily.V4 ? "ipv4" : "ipv6");
      if (e != null) {
        ImmutableList.Builder<String> names = ImmutableList.builder();
        e.getAsJsonArray().forEach(n -> names.add(n.getAsString()));
        created.put(f, names.build());
      }
    }
    ImmutableMap.Builder<String, UplinkState> uplinks = ImmutableMap.builder();
    JsonObject u = o.getAsJsonObject("uplinks");
    if (u != null) {
      for (String name : u.keySet()) {
        JsonObject s = u.getAsJsonObject(name);
        uplinks.put(name, new UplinkState(s.get("down").getAsBoolean(),
            java.time.Instant.parse(s.get("since").getAsString()), s.get("cause").getAsString()));
      }
    }
    return new StateRecord(own, backend, sysctl.build(), texts(o.getAsJsonObject("rules")),
        texts(o.getAsJsonObject("routes")), created.build(), uplinks.build());
  }

  private static ImmutableMap<IpFamily, String> texts(JsonObject o) {
    ImmutableMap.Builder<IpFamily, String> out = ImmutableMap.builder();
    for (IpFamily f : IpFamily.values()) {
      JsonElement e = o.get(f == IpFamily.V4 ? "ipv4" : "ipv6");
      if (e != null) {
        out.put(f, e.getAsString());
      }
    }
    return out.build();
  }

  private static void texts(JsonWriter w, String name, ImmutableMap<IpFamily, String> texts) throws IOException {
    w.name(name).beginObject();
    for (IpFamily f : IpFamily.values()) {
      if (texts.containsKey(f)) {
        w.name(f == IpFamily.V4 ? "ipv4" : "ipv6").value(texts.get(f));
      }
    }
    w.endObject();
  }

  /** The file's text: stable key order, one value per line. */
  public String toJson() {
    StringWriter out = new StringWriter();
    try (JsonWriter w = new JsonWriter(out)) {
      w.setIndent("  ");
      w.beginObject();
      w.name("version").value(VERSION);
      w.name("chainPrefix").value(ownership.chainPrefix());
      w.name("ruleProtocol").value(ownership.ruleProtocol());
      w.name("markMask").value(dev.mlb.api.Mark.hex(ownership.markMask()));
      w.name("families").beginArray();
      for (IpFamily f : IpFamily.values()) {
        if (ownership.families().contains(f)) {
          w.value(f == IpFamily.V4 ? "ipv4" : "ipv6");
        }
      }
      w.endArray();
      w.name("backend").value(backend.name().toLowerCase(java.util.Locale.ROOT));
      w.name("sysctl").beginArray();
      for (SysctlChange s : sysctl) {
        w.beginObject().name("key").value(s.key()).name("prior").value(s.prior()).name("applied").value(s.applied())
            .endObject();
      }
      w.endArray();
      texts(w, "rules", rules);
      texts(w, "routes", routes);
      w.name("createdTables").beginObject();
      for (IpFamily f : IpFamily.values()) {
        if (createdTables.containsKey(f)) {
          w.name(f == IpFamily.V4 ? "ipv4" : "ipv6").beginArray();
          for (String t : createdTables.get(f)) {
            w.value(t);
          }
          w.endArray();
        }
      }
      w.endObject();
      w.name("uplinks").beginObject();
      for (Map.Entry<String, UplinkState> e : uplinks.entrySet()) {
        w.name(e.getKey()).beginObject().name("down").value(e.getValue().down())
            .name("since").value(e.getValue().since().toString()).name("cause").value(e.getValue().cause()).endObject();
      }
      w.endObject();
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out + "\n";
  }

  /** Writes the record into {@code dir} (created if missing), replacing the old one atomically. */
  public void write(Path dir) {
    replace(file(dir, ownership.name()), toJson(), "state record");
  }

  /**
   * Replaces {@code file} with {@code text} atomically (a temporary file beside it, then a move),
   * creating its directory if missing.
   *
   * @throws LiveException naming {@code what} and the file
   */
  static void replace(Path file, String text, String what) {
    Path dir = file.getParent();
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new LiveException("cannot write mlb's " + what + " " + file + ": " + e.getMessage(), e);
    }
  }

  /** Deletes the record of {@code name} from {@code dir}, if there is one. */
  public static void delete(Path dir, String name) {
    try {
      Files.deleteIfExists(file(dir, name));
    } catch (IOException e) {
      throw new LiveException("cannot delete mlb's state record " + file(dir, name) + ": " + e.getMessage(), e);
    }
  }

  /** The change of {@code key}, if mlb made one. */
  public Optional<SysctlChange> sysctlChange(String key) {
    return sysctl.stream().filter(s -> s.key().equals(key)).findFirst();
  }

  /** This record with the sysctl changes {@code changes}. */
  public StateRecord withSysctl(List<SysctlChange> changes) {
    return new StateRecord(ownership, backend, ImmutableList.copyOf(changes), rules, routes, createdTables, uplinks);
  }
}
