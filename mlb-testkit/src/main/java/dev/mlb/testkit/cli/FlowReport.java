package dev.mlb.testkit.cli;

import com.google.gson.stream.JsonWriter;
import dev.mlb.api.InterfaceName;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.PacketLoss;
import dev.mlb.testkit.sim.Topology;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints flow results, from the simulator or the kernel lab alike: each flow's uplink (or its
 * failure and reason), then the per-uplink totals; as text or JSON.
 *
 * <pre>{@code
 * flow 1: tcp lan 192.0.2.100:40000 -> 203.0.113.10:80: via ppp0 mark 0x1
 * flow 2: tcp lan 192.0.2.101:40001 -> 203.0.113.10:443: FAILED, packet 2 (SYN-ACK ...) lost at provider on ppp1: ...
 * totals: ppp0 1, ppp1 0, failed 1
 * }</pre>
 *
 * <p>Totals count completed flows per uplink in the topology's order, then {@code local} (completed
 * without an uplink) if any, then the failed flows. JSON: {@code {"flows": [{"index", "flow",
 * "origin", "protocol", "client", "clientPort", "server", "serverPort", "completed", "uplink",
 * "mark", "loss": {"packet", "description", "where", "reason"}}], "totals": {...}}}, absent values
 * as null.
 */
final class FlowReport {
  private FlowReport() {}

  /** The per-uplink totals, in order. */
  public static Map<String, Integer> totals(Topology topology, List<FlowResult> results) {
    Map<String, Integer> totals = new LinkedHashMap<>();
    topology.uplinks().forEach(u -> totals.put(u.iface().name(), 0));
    int local = 0;
    int failed = 0;
    for (FlowResult r : results) {
      if (!r.completed()) {
        failed++;
      } else if (r.uplink().isPresent()) {
        totals.merge(r.uplink().get().name(), 1, Integer::sum);
      } else {
        local++;
      }
    }
    if (local > 0) {
      totals.put("local", local);
    }
    totals.put("failed", failed);
    return totals;
  }

  public static void text(Topology topology, List<FlowResult> results, PrintStream out) {
    for (int i = 0; i < results.size(); i++) {
      out.println("flow " + (i + 1) + ": " + results.get(i));
    }
    StringBuilder b = new StringBuilder("totals:");
    String sep = " ";
    for (Map.Entry<String, Integer> e : totals(topology, results).entrySet()) {
      b.append(sep).append(e.getKey()).append(' ').append(e.getValue());
      sep = ", ";
    }
    out.println(b);
  }

  public static void json(Topology topology, List<FlowResult> results, PrintStream out) {
    StringWriter s = new StringWriter();
    try (JsonWriter w = new JsonWriter(s)) {
      w.setIndent("  ");
      w.setSerializeNulls(true);
      w.beginObject().name("flows").beginArray();
      for (int i = 0; i < results.size(); i++) {
        FlowResult r = results.get(i);
        Flow f = r.flow();
        w.beginObject();
        w.name("index").value(i + 1);
        w.name("flow").value(f.toString());
        w.name("origin").value(f.origin().name().toLowerCase(java.util.Locale.ROOT));
        w.name("protocol").value(f.protocol().toString());
        w.name("inboundUplink").value(f.inboundUplink().map(InterfaceName::name).orElse(null));
        w.name("client").value(f.client().map(Object::toString).orElse(null));
        w.name("clientPort").value(f.clientPort());
        w.name("server").value(f.server().toString());
        w.name("serverPort").value(f.serverPort());
        w.name("completed").value(r.completed());
        w.name("uplink").value(r.uplink().map(InterfaceName::name).orElse(null));
        if (r.mark().isPresent()) {
          w.name("mark").value(r.mark().getAsLong());
        } else {
          w.name("mark").nullValue();
        }
        w.name("loss");
        if (r.loss().isPresent()) {
          PacketLoss l = r.loss().get();
          w.beginObject().name("packet").value(l.packet()).name("description").value(l.packetDescription())
              .name("where").value(l.where()).name("reason").value(l.reason()).endObject();
        } else {
          w.nullValue();
        }
        w.endObject();
      }
      w.endArray().name("totals").beginObject();
      for (Map.Entry<String, Integer> e : totals(topology, results).entrySet()) {
        w.name(e.getKey()).value(e.getValue());
      }
      w.endObject().endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.println(s);
  }
}
