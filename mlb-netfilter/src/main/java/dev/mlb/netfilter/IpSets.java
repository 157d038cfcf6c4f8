package dev.mlb.netfilter;

import com.google.common.collect.ImmutableMap;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ipsets that exist where a ruleset is loaded, for {@link Ruleset#validate(IpSets)}: iptables
 * looks up every set a rule names ({@code -m set --match-set}, {@code -j SET}) when it reads the
 * rule, and refuses the rule if the set does not exist or is of the other family.
 *
 * <pre>{@code
 * IpSets sets = IpSets.parse("sets.txt", ipsetListOutput);   // the output of "ipset list -t" or "ipset save"
 * IpSets sets = IpSets.of(IpSet.of("blocklist", "hash:ip"), IpSet.of("svc6", "hash:ip,port", IpFamily.V6));
 * IpSets.none();                                            // no set exists (a fresh network namespace)
 * ruleset.validate(sets);   // errors for rules naming a missing set or one of the other family
 * }</pre>
 *
 * <p>{@link #parse} reads what {@code ipset list}, {@code ipset list -t} and {@code ipset save}
 * print (the set's name, type and family; members and other header fields are skipped). An
 * {@code IpSets} is immutable; two are equal when they hold the same sets.
 */
public final class IpSets {
  private static final IpSets NONE = new IpSets(ImmutableMap.of());

  private final ImmutableMap<String, IpSet> byName;

  private IpSets(ImmutableMap<String, IpSet> byName) {
    this.byName = byName;
  }

  /** No set exists. */
  public static IpSets none() {
    return NONE;
  }

  /** These sets exist. */
  public static IpSets of(IpSet... sets) {
    return of(List.of(sets));
  }

  /**
   * These sets exist.
   *
   * @throws IllegalArgumentException if two have one name
   */
  public static IpSets of(Collection<IpSet> sets) {
    Map<String, IpSet> map = new LinkedHashMap<>();
    for (IpSet s : sets) {
      if (map.put(s.name(), s) != null) {
        throw new IllegalArgumentException("two ipsets are called " + s.name());
      }
    }
    return new IpSets(ImmutableMap.copyOf(map));
  }

  /** The set called {@code name}, if it exists. */
  public Optional<IpSet> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The sets by name, in the order given. */
  public ImmutableMap<String, IpSet> sets() {
    return byName;
  }

  /**
   * The sets in {@code text}, the output of {@code ipset list}, {@code ipset list -t} or
   * {@code ipset save} ({@code source} names it in errors).
   *
   * <pre>{@code
   * Name: blocklist              create blocklist hash:ip family inet hashsize 1024 maxelem 65536
   * Type: hash:ip                add blocklist 192.0.2.1
   * Header: family inet ...
   * }</pre>
   *
   * @throws ParseException naming the line and column of a line that is neither, a set without a
   *     type, an unknown type or family, or a name given twice
   */
  public static IpSets parse(String source, String text) {
    return new Reader(source, text).read();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpSets other && byName.equals(other.byName);
  }

  @Override
  public int hashCode() {
    return byName.hashCode();
  }

  /** {@code [blocklist (hash:ip, IPv4), all (list:set, either family)]}. */
  @Override
  public String toString() {
    return byName.values().toString();
  }

  /** Reads the text of {@link #parse}, line by line. */
  private static final class Reader {
    private final String source;
    private final String[] lines;
    private final Map<String, IpSet> sets = new LinkedHashMap<>();
    /** The block of {@code ipset list} being read: its name, where, its type and family words. */
    private String name;
    private int nameLine;
    private String type;
    private IpFamily family;
    private boolean inMembers;

    Reader(String source, String text) {
      this.source = source;
      this.lines = text.split("\n", -1);
    }

    IpSets read() {
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
        int n = i + 1;
        if (line.isBlank()) {
          inMembers = false;
          continue;
        }
        if (inMembers && !line.startsWith("Name: ")) {
          continue;
        }
        inMembers = false;
        if (line.startsWith("create ")) {
          endBlock();
          create(n, line);
        } else if (line.startsWith("add ")) {
          continue;
        } else if (line.startsWith("Name: ")) {
          endBlock();
          name = line.substring(6).strip();
          nameLine = n;
          checkName(n, line, 7, name);
        } else if (line.startsWith("Type: ")) {
          requireBlock(n, line);
          type = line.substring(6).strip();
          checkType(n, line, 7, type);
        } else if (line.startsWith("Header:")) {
          requireBlock(n, line);
          family = familyOf(n, line, words(line), 1);
        } else if (line.equals("Members:")) {
          requireBlock(n, line);
          inMembers = true;
        } else if (line.startsWith("Revision: ") || line.startsWith("Size in memory: ")
            || line.startsWith("References: ") || line.startsWith("Number of entries: ")) {
          requireBlock(n, line);
        } else {
          throw error(n, 1, "expected the output of \"ipset list\" (Name:, Type:, Header: ... lines) or of"
              + " \"ipset save\" (create and add lines); got " + Arguments.quoted(line), line);
        }
      }
      endBlock();
      return IpSets.of(sets.values());
    }

    /** {@code create NAME TYPE [family inet|inet6] [other options]}. */
    private void create(int n, String line) {
      List<String> w = words(line);
      if (w.size() < 3) {
        throw error(n, line.length() + 1, "\"create\" needs a set name and a type: create NAME TYPE [OPTIONS]",
            line);
      }
      checkName(n, line, column(line, 1), w.get(1));
      checkType(n, line, column(line, 2), w.get(2));
      add(n, line, column(line, 1), w.get(1), w.get(2), familyOf(n, line, w, 3));
    }

    private void requireBlock(int n, String line) {
      if (name == null) {
        throw error(n, 1, "a set's " + Arguments.quoted(line.substring(0, Math.max(line.indexOf(':'), 0) + 1))
            + " line before its Name: line", line);
      }
    }

    private void endBlock() {
      if (name == null) {
        return;
      }
      String line = lines[nameLine - 1];
      if (type == null) {
        throw error(nameLine, 1, "set " + name + " has no Type: line; expected Name:, Type: and Header: lines for"
            + " each set (ipset list -t)", line);
      }
      add(nameLine, line, 7, name, type, family);
      name = null;
      type = null;
      family = null;
    }

    private void add(int n, String line, int column, String setName, String setType, IpFamily setFamily) {
      IpSet set;
      try {
        set = setFamily == null ? IpSet.of(setName, setType) : IpSet.of(setName, setType, setFamily);
      } catch (IllegalArgumentException e) {
        throw error(n, column, e.getMessage(), line);
      }
      if (sets.containsKey(setName)) {
        throw error(n, column, "set " + setName + " is listed twice", line);
      }
      sets.put(setName, set);
    }

    private void checkName(int n, String line, int column, String setName) {
      if (setName.isEmpty() || setName.length() > SetReference.MAX_NAME) {
        throw error(n, column, "set name " + Arguments.quoted(setName) + " is " + setName.length()
            + " characters; expected 1 to " + SetReference.MAX_NAME, line);
      }
    }

    private void checkType(int n, String line, int column, String setType) {
      if (!IpSet.TYPES.contains(setType)) {
        throw error(n, column, "unknown set type " + Arguments.quoted(setType) + "; expected one of "
            + String.join(", ", IpSet.TYPES), line);
      }
    }

    /** The family after the word {@code family} among {@code words} from index {@code from}, or null. */
    private IpFamily familyOf(int n, String line, List<String> words, int from) {
      for (int i = from; i < words.size(); i++) {
        if (words.get(i).equals("family")) {
          String f = i + 1 < words.size() ? words.get(i + 1) : "";
          return switch (f) {
            case "inet" -> IpFamily.V4;
            case "inet6" -> IpFamily.V6;
            default -> throw error(n, i + 1 < words.size() ? column(line, i + 1) : line.length() + 1,
                "unknown family " + Arguments.quoted(f) + "; expected inet or inet6", line);
          };
        }
      }
      return null;
    }

    private static List<String> words(String line) {
      return List.of(line.strip().split("\\s+"));
    }

    /** The 1-based column of word {@code index} (from 0) of {@code line}. */
    private static int column(String line, int index) {
      int i = 0;
      int word = -1;
      boolean in = false;
      for (; i < line.length(); i++) {
        boolean blank = Character.isWhitespace(line.charAt(i));
        if (!blank && !in && ++word == index) {
          return i + 1;
        }
        in = !blank;
      }
      return line.length() + 1;
    }

    private ParseException error(int line, int column, String problem, String lineText) {
      return new ParseException(source, line, column, problem, lineText);
    }
  }
}
