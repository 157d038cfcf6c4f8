package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;

/**
 * {@code -m cluster --cluster-total-nodes N (--cluster-local-node I | --cluster-local-nodemask M)
 * --cluster-hash-seed S}: shares connections among the nodes of a cluster by a hash of the
 * connection, each node taking those whose hash falls to it.
 *
 * <pre>{@code
 * ClusterMatch.node(2, 4, 0xfeedcafe)       // -m cluster --cluster-local-nodemask 0x00000002 --cluster-total-nodes 4 --cluster-hash-seed 0xfeedcafe
 * ClusterMatch.node(2, 4, 1).negated()      // -m cluster ! --cluster-local-nodemask 0x00000002 ...
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code cluster_save} of iptables'
 * {@code extensions/libxt_cluster.c}): a node is kept as a mask ({@code --cluster-local-node 2} is
 * {@code --cluster-local-nodemask 0x00000002}), then the number of nodes, then the seed in
 * hexadecimal. iptables takes 1 to 32 nodes, a node from 1 to the number of nodes, a mask from 1 to 32
 * (sic: the option's range) below 2 to the number of nodes, and needs all three. The simulator does
 * not model {@code -m cluster}.
 *
 * @param nodeMask the local nodes, bit {@code i - 1} for node {@code i}
 * @param totalNodes the number of nodes, 1 to 32
 * @param hashSeed the hash's seed, 32 bits
 * @param invert {@code !}: the connections of the other nodes
 */
public record ClusterMatch(long nodeMask, int totalNodes, long hashSeed, boolean invert) implements Match {

  /** The most nodes ({@code XT_CLUSTER_NODES_MAX}). */
  public static final int MAX_NODES = 32;

  public ClusterMatch {
    checkArgument(totalNodes >= 1 && totalNodes <= MAX_NODES, "-m cluster: 1 to 32 nodes, not %s", totalNodes);
    checkArgument(nodeMask >= 1 && nodeMask < 1L << totalNodes,
        "-m cluster: node mask 0x%s is not within %s nodes", Long.toHexString(nodeMask), totalNodes);
    checkArgument(hashSeed >= 0 && hashSeed <= 0xFFFF_FFFFL, "-m cluster: the seed is 32 bits");
  }

  /** {@code --cluster-local-node NODE --cluster-total-nodes TOTAL --cluster-hash-seed SEED}. */
  public static ClusterMatch node(int node, int totalNodes, long hashSeed) {
    checkArgument(node >= 1 && node <= totalNodes, "-m cluster: node %s is not within 1 to %s", node, totalNodes);
    return new ClusterMatch(1L << (node - 1), totalNodes, hashSeed, false);
  }

  /** This match negated: the connections of the other nodes. */
  public ClusterMatch negated() {
    return new ClusterMatch(nodeMask, totalNodes, hashSeed, !invert);
  }

  @Override
  public String module() {
    return "cluster";
  }

  /** {@code -m cluster}: iptables' {@code extensions/libxt_cluster.c}, as iptables-nft 1.8.9 reads it. */
  static final class ClusterModule extends MatchModule<ClusterMatch> {
    static final ClusterModule INSTANCE = new ClusterModule();

    private static final List<String> OPTIONS = List.of("--cluster-total-nodes", "--cluster-local-node",
        "--cluster-local-nodemask", "--cluster-hash-seed");

    private ClusterModule() {
      super("cluster", ClusterMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    boolean negatable(String option) {
      return option.equals("--cluster-local-node") || option.equals("--cluster-local-nodemask");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "cluster", at, rule) {
        private long total = -1;
        private long node = -1;
        private long mask = -1;
        private long seed = -1;

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--cluster-total-nodes" -> total = number(arg, option, 1, MAX_NODES);
            case "--cluster-local-node", "--cluster-local-nodemask" -> {
              String other = option.equals("--cluster-local-node") ? "--cluster-local-nodemask" : "--cluster-local-node";
              if (given.containsKey(other)) {
                throw error(optionToken, "-m cluster: " + option + " cannot be given with " + other);
              }
              long v = number(arg, option, 1, MAX_NODES);
              if (option.equals("--cluster-local-node")) {
                node = v;
              } else {
                mask = v;
              }
            }
            default -> seed = number(arg, option, 0, 0xFFFF_FFFFL);
          }
        }

        private long number(Token arg, String option, long min, long max) {
          long v = Numbers.parseUnsigned(arg.text(), max);
          if (v < min) {
            throw error(arg, "-m cluster: bad value " + quoted(arg.text()) + " for " + option + "; expected a number"
                + " from " + min + " to " + max);
          }
          return v;
        }

        @Override
        Match finish() {
          require("--cluster-total-nodes");
          require("--cluster-hash-seed");
          if (node < 0 && mask < 0) {
            throw error(at, "-m cluster needs --cluster-local-node or --cluster-local-nodemask");
          }
          long m = node > 0 ? 1L << (node - 1) : mask;
          if (m >= 1L << total) {
            Token where = given.get(node > 0 ? "--cluster-local-node" : "--cluster-local-nodemask");
            throw error(where, "-m cluster: " + (node > 0 ? "--cluster-local-node " + node + " is above"
                : "--cluster-local-nodemask 0x" + Long.toHexString(mask) + " is too big for")
                + " --cluster-total-nodes " + total);
          }
          return new ClusterMatch(m, (int) total, seed, negated);
        }
      };
    }

    @Override
    void write(ClusterMatch m, StringBuilder out) {
      out.append(m.invert() ? " ! --cluster-local-nodemask " : " --cluster-local-nodemask ")
          .append(String.format("0x%08x", m.nodeMask()))
          .append(" --cluster-total-nodes ").append(m.totalNodes())
          .append(" --cluster-hash-seed ").append(String.format("0x%08x", m.hashSeed()));
    }
  }
}
