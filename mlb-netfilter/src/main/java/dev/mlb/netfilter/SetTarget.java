package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.Sets;
import dev.mlb.api.Numbers;
import dev.mlb.netfilter.SetReference.Direction;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code -j SET [--add-set NAME DIRECTIONS [--exist] [--timeout SECONDS]] [--del-set NAME DIRECTIONS]
 * [--map-set NAME DIRECTIONS [--map-mark] [--map-prio] [--map-queue]]}: adds the packet's address
 * (port, ...) to an ipset, deletes it from one, or sets the packet's mark, priority or queue from
 * the element's skbinfo; then goes on with the next rule.
 *
 * <pre>{@code
 * SetTarget.add("seen", Direction.SRC)                           // -j SET --add-set seen src
 * SetTarget.add("seen", Direction.SRC).withExist().withTimeout(600)
 *                                                    // -j SET --add-set seen src --exist --timeout 600
 * SetTarget.delete("seen", Direction.SRC)                        // -j SET --del-set seen src
 * SetTarget.map(SetReference.of("qos", Direction.DST), SetTarget.MapField.MARK)
 *                                                    // -j SET --map-set qos dst --map-mark
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9 reads and {@code iptables-save} prints it (revision 3 of
 * {@code extensions/libxt_SET.c}): {@code --add-set} with {@code --exist} and {@code --timeout},
 * then {@code --del-set}, then {@code --map-set} and its fields. {@code --exist} and
 * {@code --timeout} need {@code --add-set}; the map fields need {@code --map-set}, which needs at
 * least one of them. The kernel ({@code xt_set.c}) takes {@code --map-set} only in the mangle table,
 * and {@code --map-prio} and {@code --map-queue} only where packets come from FORWARD, OUTPUT or
 * POSTROUTING. Which sets exist is checked as for {@link SetMatch}: only by
 * {@link Ruleset#validate(IpSets)}. The simulator does not model {@code -j SET}.
 *
 * @param add {@code --add-set}: the set the packet is added to, if any
 * @param exist {@code --exist}: an element already there gets its timeout reset
 * @param timeout {@code --timeout}: the added element's timeout in seconds (0 to 4294967294), if given
 * @param delete {@code --del-set}: the set the packet is deleted from, if any
 * @param map {@code --map-set}: the set whose element's skbinfo is copied to the packet, if any
 * @param mapFields what {@code --map-set} copies: {@code --map-mark}, {@code --map-prio}, {@code --map-queue}
 */
public record SetTarget(Optional<SetReference> add, boolean exist, OptionalLong timeout,
    Optional<SetReference> delete, Optional<SetReference> map, Set<MapField> mapFields) implements Target {

  /** The largest {@code --timeout} iptables takes (4294967295 means "none" to the kernel). */
  public static final long MAX_TIMEOUT = 0xFFFF_FFFEL;

  /** What {@code --map-set} copies from the element to the packet. */
  public enum MapField {
    /** {@code --map-mark}: the packet mark (value/mask). */
    MARK,
    /** {@code --map-prio}: the priority (tc class). */
    PRIO,
    /** {@code --map-queue}: the transmit queue. */
    QUEUE
  }

  public SetTarget {
    checkArgument(add != null && delete != null && map != null && timeout != null && mapFields != null,
        "-j SET: a part is null; use Optional.empty(), OptionalLong.empty() or an empty set");
    mapFields = Sets.immutableEnumSet(mapFields);
    checkArgument(add.isPresent() || delete.isPresent() || map.isPresent(),
        "-j SET needs --add-set, --del-set or --map-set");
    checkArgument(add.isPresent() || !exist, "-j SET: --exist needs --add-set");
    checkArgument(add.isPresent() || timeout.isEmpty(), "-j SET: --timeout needs --add-set");
    checkArgument(timeout.isEmpty() || timeout.getAsLong() >= 0 && timeout.getAsLong() <= MAX_TIMEOUT,
        "-j SET: --timeout %s is outside 0 to %s", timeout, MAX_TIMEOUT);
    checkArgument(map.isPresent() || mapFields.isEmpty(), "-j SET: --map-mark, --map-prio and --map-queue need"
        + " --map-set");
    checkArgument(map.isEmpty() || !mapFields.isEmpty(), "-j SET --map-set needs --map-mark, --map-prio or"
        + " --map-queue");
  }

  /** {@code -j SET --add-set NAME DIRECTIONS}. */
  public static SetTarget add(String name, Direction first, Direction... rest) {
    return add(SetReference.of(name, first, rest));
  }

  /** {@code -j SET --add-set NAME DIRECTIONS}. */
  public static SetTarget add(SetReference set) {
    return new SetTarget(Optional.of(set), false, OptionalLong.empty(), Optional.empty(), Optional.empty(),
        Set.of());
  }

  /** {@code -j SET --del-set NAME DIRECTIONS}. */
  public static SetTarget delete(String name, Direction first, Direction... rest) {
    return delete(SetReference.of(name, first, rest));
  }

  /** {@code -j SET --del-set NAME DIRECTIONS}. */
  public static SetTarget delete(SetReference set) {
    return new SetTarget(Optional.empty(), false, OptionalLong.empty(), Optional.of(set), Optional.empty(),
        Set.of());
  }

  /** {@code -j SET --map-set NAME DIRECTIONS} with the fields to copy. */
  public static SetTarget map(SetReference set, MapField first, MapField... rest) {
    return new SetTarget(Optional.empty(), false, OptionalLong.empty(), Optional.empty(), Optional.of(set),
        EnumSet.of(first, rest));
  }

  /** This target with {@code --exist} (it needs {@code --add-set}). */
  public SetTarget withExist() {
    return new SetTarget(add, true, timeout, delete, map, mapFields);
  }

  /** This target with {@code --timeout SECONDS} (it needs {@code --add-set}). */
  public SetTarget withTimeout(long seconds) {
    return new SetTarget(add, exist, OptionalLong.of(seconds), delete, map, mapFields);
  }

  /** This target also deleting from {@code set} ({@code --del-set}). */
  public SetTarget withDelete(SetReference set) {
    return new SetTarget(add, exist, timeout, Optional.of(set), map, mapFields);
  }

  /** This target also adding to {@code set} ({@code --add-set}). */
  public SetTarget withAdd(SetReference set) {
    return new SetTarget(Optional.of(set), exist, timeout, delete, map, mapFields);
  }

  @Override
  public String name() {
    return "SET";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** The sets the target names: the add set, the delete set, the map set, those given. */
  List<SetReference> sets() {
    return java.util.stream.Stream.of(add, delete, map).flatMap(Optional::stream).toList();
  }

  /** {@code -j SET}: iptables' {@code extensions/libxt_SET.c} (revision 3), as iptables-nft 1.8.9 reads it. */
  static final class SetTargetModule extends TargetModule<SetTarget> {
    static final SetTargetModule INSTANCE = new SetTargetModule();

    private static final List<String> OPTIONS = List.of("--add-set", "--del-set", "--exist", "--timeout",
        "--map-set", "--map-mark", "--map-prio", "--map-queue");
    private static final Set<String> FLAGS = Set.of("--exist", "--map-mark", "--map-prio", "--map-queue");
    private static final Set<Hook> MAP_PRIO_HOOKS = EnumSet.of(Hook.FORWARD, Hook.OUTPUT, Hook.POSTROUTING);

    private SetTargetModule() {
      super("SET", List.of(SetTarget.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    boolean repeatable(String option) {
      // libxt_SET.c refuses a second --add-set, --del-set or --map-set; the others it takes again
      // (a second --timeout replaces the first).
      return !option.endsWith("-set");
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private SetReference add;
        private SetReference delete;
        private SetReference map;
        private long timeout = -1;
        private final Set<MapField> fields = EnumSet.noneOf(MapField.class);

        @Override
        void value(Token option, Token arg) {
          switch (option.text()) {
            case "--add-set" -> add = set(option, arg);
            case "--del-set" -> delete = set(option, arg);
            case "--map-set" -> map = set(option, arg);
            case "--timeout" -> {
              timeout = Numbers.parseUnsigned(arg.text(), MAX_TIMEOUT);
              if (timeout < 0) {
                throw error(arg, "bad value " + Arguments.quoted(arg.text()) + " for --timeout; expected seconds"
                    + " from 0 to " + MAX_TIMEOUT);
              }
            }
            case "--map-mark" -> fields.add(MapField.MARK);
            case "--map-prio" -> fields.add(MapField.PRIO);
            case "--map-queue" -> fields.add(MapField.QUEUE);
            default -> { }   // --exist
          }
        }

        private SetReference set(Token option, Token name) {
          return SetReference.read(rule, "-j SET " + option.text(), name, rule.argumentOf(option));
        }

        @Override
        Target finish() {
          if (add == null && delete == null && map == null) {
            throw error(at, "-j SET needs --add-set, --del-set or --map-set (each NAME src|dst[,...])");
          }
          if (add == null) {
            for (String o : List.of("--exist", "--timeout")) {
              if (given.containsKey(o)) {
                throw error(given.get(o), "-j SET: " + o + " needs --add-set");
              }
            }
          }
          if (map == null) {
            for (String o : List.of("--map-mark", "--map-prio", "--map-queue")) {
              if (given.containsKey(o)) {
                throw error(given.get(o), "-j SET: " + o + " needs --map-set");
              }
            }
          } else if (fields.isEmpty()) {
            throw error(given.get("--map-set"), "-j SET --map-set needs --map-mark, --map-prio or --map-queue");
          }
          return new SetTarget(Optional.ofNullable(add), given.containsKey("--exist"),
              timeout < 0 ? OptionalLong.empty() : OptionalLong.of(timeout), Optional.ofNullable(delete),
              Optional.ofNullable(map), fields);
        }
      };
    }

    @Override
    void write(SetTarget t, StringBuilder out) {
      out.append(" -j SET");
      if (t.add().isPresent()) {
        out.append(" --add-set ").append(t.add().get());
        if (t.exist()) {
          out.append(" --exist");
        }
        if (t.timeout().isPresent()) {
          out.append(" --timeout ").append(t.timeout().getAsLong());
        }
      }
      t.delete().ifPresent(s -> out.append(" --del-set ").append(s));
      if (t.map().isPresent()) {
        out.append(" --map-set ").append(t.map().get());
        for (MapField f : t.mapFields()) {
          out.append(switch (f) {
            case MARK -> " --map-mark";
            case PRIO -> " --map-prio";
            case QUEUE -> " --map-queue";
          });
        }
      }
    }

    @Override
    boolean passes(SetTarget t) {
      return t.map().isEmpty();
    }

    @Override
    void check(SetTarget t, RuleContext rule, Findings findings) {
      if (t.map().isEmpty()) {
        return;
      }
      if (rule.table != TableName.MANGLE) {
        findings.error("target-table", "-j SET --map-set is only valid in the mangle table, not in "
            + rule.table.id() + " (the kernel refuses it: Invalid argument)");
        return;
      }
      if (t.mapFields().contains(MapField.PRIO) || t.mapFields().contains(MapField.QUEUE)) {
        Set<Hook> bad = EnumSet.noneOf(Hook.class);
        for (Hook h : rule.hooks) {
          if (!MAP_PRIO_HOOKS.contains(h)) {
            bad.add(h);
          }
        }
        if (!bad.isEmpty()) {
          findings.error("target-hook", "-j SET --map-set with --map-prio or --map-queue in chain " + rule.chain
              + ", which is reached from " + bad + "; the kernel takes them only from " + MAP_PRIO_HOOKS);
        }
      }
    }
  }
}
