package dev.herald.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The markdown report of one matrix run: the targets of issues 5 and 17 as measured ratios, then throughput, cost per
 * delivery, latency and memory per server side by side, then every row. {@link #intoDocs} replaces the generated
 * section of {@code docs/performance.md} (between {@code <!-- bench:begin -->} and {@code <!-- bench:end -->}).
 */
final class Report {
    static final String BEGIN = "<!-- bench:begin -->";
    static final String END = "<!-- bench:end -->";
    private final List<Row> rows;
    private final String machine;
    private final String command;
    private final String stamp;
    private final int openRate;
    private final List<String> labels = new ArrayList<>();
    private final TreeSet<Integer> sizes = new TreeSet<>();

    Report(List<Row> rows, String machine, String command, String stamp, int openRate) {
        this.rows = rows;
        this.machine = machine;
        this.command = command;
        this.stamp = stamp;
        this.openRate = openRate;
        for (Row r : rows) {
            if (!labels.contains(r.label())) {
                labels.add(r.label());
            }
            if (!r.phase().equals("idle")) {
                sizes.add(r.subscribers());
            }
        }
    }

    String markdown(String chart) {
        StringBuilder b = new StringBuilder();
        b.append("Run ").append(stamp).append(" with `").append(command).append("`.\n\n");
        b.append("Machine: ").append(machine).append(".\n\n");
        b.append("![deliveries/s, p99 latency, CPU per delivery](").append(chart).append(")\n\n");
        targets(b);
        secondRound(b);
        webSocketApis(b);
        table(b, "Fan-out throughput, closed loop (deliveries/s)", "closed", Row::deliveriesPerSecond, "%,.0f");
        table(b, "Server CPU per delivery, closed loop (µs, user+sys)", "closed", Row::cpuMicrosPerDelivery, "%.2f");
        table(b, "Server write syscalls per delivery, closed loop", "closed", Row::syscallsPerDelivery, "%.3f");
        table(b, "p99 latency at " + String.format(Locale.ROOT, "%,d", openRate)
                + " deliveries/s, open loop (ms, from the scheduled send)", "open", r -> r.p99() / 1000.0, "%.1f");
        table(b, "p99.9 latency at the same rate (ms)", "open", r -> r.p999() / 1000.0, "%.1f");
        table(b, "Server CPU per delivery at the same rate (µs)", "open", Row::cpuMicrosPerDelivery, "%.2f");
        memory(b);
        all(b);
        return b.toString();
    }

    private void targets(StringBuilder b) {
        b.append("### Targets (issue 5), ratios measured in this run\n\n");
        b.append("| target | N | Herald | peer | ratio | goal | met |\n|---|---|---|---|---|---|---|\n");
        for (int n : new int[] {1000, 5000}) {
            ratio(b, "WS deliveries/s vs ws", n, "herald/ws", "ws/ws", "closed", Row::deliveriesPerSecond, 1.5, true);
            ratio(b, "SSE deliveries/s vs express-sse", n, "herald/sse", "express-sse/sse", "closed",
                    Row::deliveriesPerSecond, 3.0, true);
            ratio(b, "WS CPU per delivery vs ws", n, "herald/ws", "ws/ws", "closed", Row::cpuMicrosPerDelivery, 0.7,
                    false);
            ratio(b, "WS p99 at fixed rate vs ws", n, "herald/ws", "ws/ws", "open", r -> r.p99(), 1.0, false);
        }
        ratio(b, "RSS per idle WS connection vs ws", -1, "herald/ws", "ws/ws", "idle",
                Row::rssBytesPerConnection, 1.0, false);
        ratio(b, "live heap per idle WS connection vs ws", -1, "herald/ws", "ws/ws", "idle",
                Row::heapBytesPerConnection, 1.0, false);
        int top = sizes.isEmpty() ? 0 : sizes.last();
        for (String label : List.of("herald/ws", "herald/sse")) {
            find(label, top, "closed").ifPresent(r -> b.append(String.format(Locale.ROOT,
                    "| %s connections on one node | %d | %d errors, %d lost | | | 0 | %s |%n", label, r.subscribers(),
                    r.connectionErrors() + r.publishErrors(), r.lost(),
                    r.connectionErrors() + r.publishErrors() + r.lost() == 0 ? "yes" : "no")));
        }
        b.append('\n');
    }

    /**
     * Issue 17's targets: against {@code ws} in the open loop and for handshakes, and against the best Java peer of
     * the same transport ({@code spring/…}, {@code vertx/…}: the highest deliveries/s, the lowest CPU per delivery)
     * in the closed loop. A row is left out when a server it needs was not in the run.
     */
    private void secondRound(StringBuilder b) {
        b.append("### Targets (issue 17), ratios measured in this run\n\n");
        b.append("| target | N | Herald | peer | ratio | goal | met |\n|---|---|---|---|---|---|---|\n");
        for (int n : new int[] {1000, 5000}) {
            for (String herald : List.of("herald/ws", "herald/sse")) {
                String t = herald.substring(herald.indexOf('/') + 1).toUpperCase(Locale.ROOT);
                ratio(b, t + " CPU per delivery at fixed rate vs ws", n, herald, "ws/ws", "open",
                        Row::cpuMicrosPerDelivery, 0.7, false);
                ratio(b, t + " p99 at fixed rate vs ws", n, herald, "ws/ws", "open", r -> r.p99(), 0.8, false);
            }
            ratio(b, "WS deliveries/s vs ws", n, "herald/ws", "ws/ws", "closed", Row::deliveriesPerSecond, 3.0, true);
            for (String transport : List.of("ws", "sse")) {
                String herald = "herald/" + transport;
                bestJavaPeer(transport, n, Row::deliveriesPerSecond, true).ifPresent(peer -> ratio(b,
                        transport.toUpperCase(Locale.ROOT) + " deliveries/s vs best Java peer (" + peer + ")", n,
                        herald, peer, "closed", Row::deliveriesPerSecond, 1.2, true));
                bestJavaPeer(transport, n, Row::cpuMicrosPerDelivery, false).ifPresent(peer -> ratio(b,
                        transport.toUpperCase(Locale.ROOT) + " CPU per delivery vs best Java peer (" + peer + ")", n,
                        herald, peer, "closed", Row::cpuMicrosPerDelivery, 1.0, false));
            }
        }
        int top = sizes.isEmpty() ? 0 : sizes.last();
        ratio(b, "time to connect and subscribe N WebSockets vs ws", top, "herald/ws", "ws/ws", "closed",
                Row::connectSeconds, 1.5, false);
        b.append('\n');
    }

    /**
     * Before and after Herald's WebSocket moved to Jetty's core API on the standalone runner: {@code herald/ws} (the
     * core API, the default) against {@code herald-jakarta/ws} (the Jakarta endpoint, {@code herald.ws.api=jakarta}),
     * in this run. Left out when {@code herald-jakarta/ws} did not run.
     */
    private void webSocketApis(StringBuilder b) {
        if (rows.stream().noneMatch(r -> r.label().equals("herald-jakarta/ws"))) {
            return;
        }
        b.append("### Herald's WebSocket on Jetty's core API vs the Jakarta endpoint, ratios measured in this run\n\n");
        b.append("| measure | N | core API | Jakarta | ratio | goal | met |\n|---|---|---|---|---|---|---|\n");
        for (int n : sizes) {
            ratio(b, "CPU per delivery at fixed rate", n, "herald/ws", "herald-jakarta/ws", "open",
                    Row::cpuMicrosPerDelivery, 1.0, false);
            ratio(b, "p99 at fixed rate", n, "herald/ws", "herald-jakarta/ws", "open", r -> r.p99(), 1.0, false);
            ratio(b, "deliveries/s, closed loop", n, "herald/ws", "herald-jakarta/ws", "closed",
                    Row::deliveriesPerSecond, 1.0, true);
            ratio(b, "CPU per delivery, closed loop", n, "herald/ws", "herald-jakarta/ws", "closed",
                    Row::cpuMicrosPerDelivery, 1.0, false);
            ratio(b, "time to connect and subscribe N", n, "herald/ws", "herald-jakarta/ws", "closed",
                    Row::connectSeconds, 1.0, false);
        }
        ratio(b, "RSS per idle connection", -1, "herald/ws", "herald-jakarta/ws", "idle",
                Row::rssBytesPerConnection, 1.0, false);
        ratio(b, "live heap per idle connection", -1, "herald/ws", "herald-jakarta/ws", "idle",
                Row::heapBytesPerConnection, 1.0, false);
        b.append('\n');
    }

    /** The Java peer of {@code transport} with the best closed-loop {@code metric} at N = {@code n}, if any ran. */
    private Optional<String> bestJavaPeer(String transport, int n, ToDoubleFunction<Row> metric, boolean higher) {
        return List.of("spring/" + transport, "vertx/" + transport).stream()
                .filter(l -> find(l, n, "closed").isPresent())
                .max(java.util.Comparator.comparingDouble(l -> (higher ? 1 : -1)
                        * metric.applyAsDouble(find(l, n, "closed").orElseThrow())));
    }

    private void ratio(StringBuilder b, String what, int n, String herald, String peer, String phase,
                       ToDoubleFunction<Row> metric, double goal, boolean higherIsBetter) {
        Optional<Row> h = find(herald, n, phase);
        Optional<Row> p = find(peer, n, phase);
        if (h.isEmpty() || p.isEmpty()) {
            return;
        }
        double hv = metric.applyAsDouble(h.get());
        double pv = metric.applyAsDouble(p.get());
        double ratio = pv == 0 ? Double.NaN : hv / pv;
        boolean met = higherIsBetter ? ratio >= goal : ratio <= goal;
        b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2fx | %s%.1fx | %s |%n", what,
                n < 0 ? Integer.toString(h.get().subscribers()) : Integer.toString(n), num(hv), num(pv), ratio,
                higherIsBetter ? ">= " : "<= ", goal, met ? "yes" : "**no**"));
    }

    private Optional<Row> find(String label, int n, String phase) {
        return rows.stream().filter(r -> r.label().equals(label) && r.phase().equals(phase)
                && (n < 0 || r.subscribers() == n || nominal(r.subscribers()) == n)).findFirst();
    }

    /** 19,700 subscribers (the open-files limit) reported under the 20,000 column. */
    private static int nominal(int n) {
        return n > 19_000 && n <= 20_000 ? 20_000 : n;
    }

    private void table(StringBuilder b, String title, String phase, ToDoubleFunction<Row> metric, String format) {
        b.append("### ").append(title).append("\n\n| N |");
        List<String> cols = labels.stream().filter(l -> find(l, -1, phase).isPresent()).toList();
        for (String l : cols) {
            b.append(' ').append(l).append(" |");
        }
        b.append("\n|---|").append("---|".repeat(cols.size())).append('\n');
        for (int n : sizes) {
            b.append("| ").append(String.format(Locale.ROOT, "%,d", n)).append(" |");
            for (String l : cols) {
                Optional<Row> r = rows.stream().filter(x -> x.label().equals(l) && x.phase().equals(phase)
                        && x.subscribers() == n).findFirst();
                b.append(' ').append(r.map(x -> String.format(Locale.ROOT, format, metric.applyAsDouble(x)))
                        .orElse("–")).append(" |");
            }
            b.append('\n');
        }
        b.append('\n');
    }

    private void memory(StringBuilder b) {
        b.append("### Memory per idle connection (after a full GC; bytes)\n\n")
                .append("| server | connections | RSS growth / conn | live heap / conn | errors |\n|---|---|---|---|---|\n");
        for (Row r : rows) {
            if (r.phase().equals("idle")) {
                b.append(String.format(Locale.ROOT, "| %s | %,d | %,.0f | %,.0f | %d |%n", r.label(), r.subscribers(),
                        r.rssBytesPerConnection(), r.heapBytesPerConnection(), r.connectionErrors() + r.lost()));
            }
        }
        b.append('\n');
    }

    private void all(StringBuilder b) {
        b.append("<details><summary>Every row (the CSV)</summary>\n\n| ")
                .append(Row.HEADER.replace(",", " | ")).append(" |\n|")
                .append("---|".repeat(Row.HEADER.split(",").length)).append('\n');
        for (Row r : rows) {
            b.append("| ").append(r.csv().replace(",", " | ")).append(" |\n");
        }
        b.append("\n</details>\n");
    }

    private static String num(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    /** Replaces the generated section of the docs page (creating the page if it is missing). */
    void intoDocs(Path docs, String chart) throws IOException {
        String section = BEGIN + "\n" + markdown(chart) + END;
        String page = Files.exists(docs) ? Files.readString(docs) : "# Performance\n\n" + BEGIN + "\n" + END + "\n";
        int from = page.indexOf(BEGIN);
        int to = page.indexOf(END);
        if (from < 0 || to < 0) {
            page = page + "\n" + section + "\n";
        } else {
            page = page.substring(0, from) + section + page.substring(to + END.length());
        }
        Files.writeString(docs, page);
    }
}
