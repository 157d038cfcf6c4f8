package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.TableName;
import dev.mlb.testkit.live.FakeRouter.Backend;
import dev.mlb.testkit.live.ToolRunner.Result;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code nft -f -} on a {@link FakeRouter}'s nf_tables stores (nftables 1.0.6), as far as mlb uses
 * it: {@code delete table ip|ip6 NAME} of the tables iptables-nft makes.
 *
 * <p>Checked with nftables 1.0.6 on Linux 6.18: the input is one transaction, so if any command
 * fails nothing is done; each failing command is reported as {@code
 * /dev/stdin:LINE:FIRST-LAST: Error: Could not process rule: No such file or directory}, then the
 * line and carets under the table's name, and nft exits 1; comments and blank lines are skipped;
 * empty input exits 0. Deleting a table deletes its chains and rules, whatever they hold.
 */
final class FakeNft {
  private FakeNft() {}

  private static final Pattern DELETE = Pattern.compile("delete table (ip6?) (\\S+)\\s*");

  static Result run(ImmutableList<String> argv, FakeNetfilter netfilter, String stdin) {
    if (!argv.equals(List.of("nft", "-f", "-"))) {
      throw FakeRouter.notModelled(argv, "nft other than \"nft -f -\"");
    }
    List<Runnable> deletions = new ArrayList<>();
    Set<String> deleted = new HashSet<>();
    StringBuilder err = new StringBuilder();
    String[] lines = stdin.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String text = line.strip();
      if (text.isEmpty() || text.startsWith("#")) {
        continue;
      }
      Matcher m = DELETE.matcher(line);
      if (!m.matches()) {
        throw FakeRouter.notModelled(argv, "the nft command \"" + text + "\" (mlb only deletes tables)");
      }
      IpFamily family = m.group(1).equals("ip") ? IpFamily.V4 : IpFamily.V6;
      FakeNetfilter.Store store = netfilter.store(Backend.NFT, family);
      Optional<TableName> name = TableName.fromId(m.group(2));
      boolean exists = name.flatMap(store::table).isPresent() && deleted.add(m.group(1) + " " + m.group(2));
      if (!exists) {
        err.append("/dev/stdin:").append(i + 1).append(':').append(m.start(2) + 1).append('-').append(m.end(2))
            .append(": Error: Could not process rule: No such file or directory\n").append(line).append('\n')
            .append(" ".repeat(m.start(2))).append("^".repeat(m.end(2) - m.start(2))).append('\n');
        continue;
      }
      TableName table = name.get();
      deletions.add(() -> store.tables.removeIf(t -> t.name == table));
    }
    if (err.length() > 0) {
      return new Result(argv, 1, "", err.toString());
    }
    deletions.forEach(Runnable::run);
    return new Result(argv, 0, "", "");
  }
}
