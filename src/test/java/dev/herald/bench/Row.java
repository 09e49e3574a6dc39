package dev.herald.bench;

import java.util.Locale;

/**
 * One line of the results CSV: one phase of one server, transport and subscriber count. Latencies in microseconds;
 * -1 where a figure does not apply (no latency in an idle run, no memory in a load run).
 */
public record Row(String server, String transport, int subscribers, String phase, long published, long delivered,
                  double deliveriesPerSecond, long p50, long p99, long p999, long max, long lost, long duplicates,
                  long publishErrors, long connectionErrors, double connectSeconds, double connectP99Millis,
                  double cpuSeconds, double cpuMicrosPerDelivery, long writeSyscalls, double syscallsPerDelivery,
                  double rssBytesPerConnection, double heapBytesPerConnection, double clientCpuMicrosPerDelivery) {

    public static final String HEADER = "server,transport,subscribers,phase,published,delivered,deliveries_per_s,"
            + "p50_us,p99_us,p999_us,max_us,lost,duplicates,publish_errors,connection_errors,connect_s,"
            + "connect_p99_ms,cpu_s,cpu_us_per_delivery,syscw,syscw_per_delivery,rss_bytes_per_conn,"
            + "heap_bytes_per_conn,client_cpu_us_per_delivery";

    /** {@code herald/ws}. */
    public String label() {
        return server + "/" + transport;
    }

    public String csv() {
        return String.join(",", server, transport, Integer.toString(subscribers), phase, Long.toString(published),
                Long.toString(delivered), f(deliveriesPerSecond), Long.toString(p50), Long.toString(p99),
                Long.toString(p999), Long.toString(max), Long.toString(lost), Long.toString(duplicates),
                Long.toString(publishErrors), Long.toString(connectionErrors), f(connectSeconds),
                f(connectP99Millis), f(cpuSeconds), f(cpuMicrosPerDelivery), Long.toString(writeSyscalls),
                f(syscallsPerDelivery), f(rssBytesPerConnection), f(heapBytesPerConnection),
                f(clientCpuMicrosPerDelivery));
    }

    /** Reads a line written by {@link #csv}. */
    public static Row parse(String line) {
        String[] c = line.split(",");
        return new Row(c[0], c[1], Integer.parseInt(c[2]), c[3], Long.parseLong(c[4]), Long.parseLong(c[5]),
                Double.parseDouble(c[6]), Long.parseLong(c[7]), Long.parseLong(c[8]), Long.parseLong(c[9]),
                Long.parseLong(c[10]), Long.parseLong(c[11]), Long.parseLong(c[12]), Long.parseLong(c[13]),
                Long.parseLong(c[14]), Double.parseDouble(c[15]), Double.parseDouble(c[16]),
                Double.parseDouble(c[17]), Double.parseDouble(c[18]), Long.parseLong(c[19]),
                Double.parseDouble(c[20]), Double.parseDouble(c[21]), Double.parseDouble(c[22]),
                Double.parseDouble(c[23]));
    }

    /** A load phase's row. */
    static Row of(Target t, LoadGenerator.Connected c, LoadGenerator.Outcome o) {
        double cpu = o.usage().cpuNanos() / 1e9;
        long d = Math.max(1, o.delivered());
        return new Row(t.name(), t.transport(), c.subscribers() - c.failed(), o.kind(), o.published(), o.delivered(),
                o.rate(), o.latency().getValueAtPercentile(50), o.latency().getValueAtPercentile(99),
                o.latency().getValueAtPercentile(99.9), o.latency().getMaxValue(), o.lost(), o.duplicates(),
                o.publishErrors(), o.connectionErrors() + c.failed(), c.seconds(), c.p99Millis(), cpu,
                o.usage().cpuNanos() / 1e3 / d, o.usage().writeSyscalls(), (double) o.usage().writeSyscalls() / d,
                -1, -1, o.clientUsage().cpuNanos() / 1e3 / d);
    }

    static String f(double v) {
        return String.format(Locale.ROOT, v == Math.rint(v) && Math.abs(v) < 1e15 ? "%.0f" : "%.3f", v);
    }
}
