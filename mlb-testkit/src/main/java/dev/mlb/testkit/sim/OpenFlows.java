package dev.mlb.testkit.sim;

import dev.mlb.api.Mark;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The flows a simulator keeps open between their parts ({@link Simulator#open},
 * {@link Simulator#exchange}, {@link Simulator#close}): for each, its two ends (where each answers)
 * and its conntrack entries, which outlive the flow's parts as the kernel's do until conntrack
 * deletes them ({@link #deleteMarked}).
 *
 * <pre>{@code
 * OpenFlows open = new OpenFlows();
 * open.put(flow, opener, acceptor, conntrack.keep());
 * open.get(flow).conns;                 // resumed by the next part
 * open.deleteMarked(List.of(mark));     // conntrack -D --mark V/M: 1 entry deleted
 * }</pre>
 */
final class OpenFlows {

  /** One open flow: its ends and the connections it has (none once they were deleted). */
  static final class Open {
    final End opener;
    final End acceptor;
    List<Conn> conns;

    Open(End opener, End acceptor, List<Conn> conns) {
      this.opener = opener;
      this.acceptor = acceptor;
      this.conns = conns;
    }
  }

  private final Map<Flow, Open> flows = new LinkedHashMap<>();

  /** The open flow {@code flow}, or null. */
  Open get(Flow flow) {
    return flows.get(flow);
  }

  /** Keeps {@code flow} open with these ends and connections. */
  void put(Flow flow, End opener, End acceptor, List<Conn> conns) {
    flows.put(flow, new Open(opener, acceptor, conns));
  }

  /** Forgets {@code flow} and its connections. */
  void remove(Flow flow) {
    flows.remove(flow);
  }

  /** The open flows, in the order they were opened. */
  List<Flow> flows() {
    return List.copyOf(flows.keySet());
  }

  /**
   * Deletes every kept connection whose ctmark has the value of one of {@code marks} under its
   * mask, as {@code conntrack -D --mark V/M} does for each; nothing else. Returns how many.
   */
  int deleteMarked(Collection<Mark> marks) {
    int deleted = 0;
    for (Open o : flows.values()) {
      int before = o.conns.size();
      o.conns = o.conns.stream().filter(c -> marks.stream().noneMatch(m -> m.matches(c.ctmark))).toList();
      deleted += before - o.conns.size();
    }
    return deleted;
  }
}
