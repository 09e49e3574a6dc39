package dev.herald.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The chart of a matrix run, as SVG (no plotting library here): three panels of grouped bars by subscriber count,
 * one bar per server/transport. Closed-loop deliveries/s, open-loop p99 latency, CPU per delivery.
 */
final class SvgChart {
    private static final String[] COLORS = {"#1f6feb", "#d1242f", "#8250df", "#2da44e", "#bf8700", "#57606a",
        "#e16f24", "#0a7ea4", "#a0527c", "#6b8e23"};
    private static final int PANEL_W = 420;
    private static final int PANEL_H = 300;
    private final List<Row> rows;
    private final List<String> labels = new ArrayList<>();
    private final TreeSet<Integer> sizes = new TreeSet<>();

    SvgChart(List<Row> rows) {
        this.rows = rows;
        for (Row r : rows) {
            if (!r.phase().equals("idle")) {
                if (!labels.contains(r.label())) {
                    labels.add(r.label());
                }
                sizes.add(r.subscribers());
            }
        }
    }

    String svg() {
        int width = 3 * PANEL_W + 40;
        int height = PANEL_H + 110;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">%n", width, height));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        panel(b, 20, "Deliveries/s, closed loop (higher is better)", "closed", Row::deliveriesPerSecond);
        panel(b, 20 + PANEL_W, "p99 latency at fixed rate, ms (lower is better)", "open", r -> r.p99() / 1000.0);
        panel(b, 20 + 2 * PANEL_W, "CPU µs per delivery, closed loop (lower is better)", "closed",
                Row::cpuMicrosPerDelivery);
        int x = 30;
        for (int i = 0; i < labels.size(); i++) {
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", x, PANEL_H + 80, COLORS[i % COLORS.length], x + 16,
                    PANEL_H + 91, labels.get(i)));
            x += 30 + 8 * labels.get(i).length();
        }
        return b.append("</svg>\n").toString();
    }

    private void panel(StringBuilder b, int left, String title, String phase, ToDoubleFunction<Row> metric) {
        int top = 40;
        int plotW = PANEL_W - 70;
        int plotH = PANEL_H - 40;
        int x0 = left + 55;
        int y0 = top + plotH;
        double max = 0;
        for (Row r : rows) {
            if (r.phase().equals(phase)) {
                max = Math.max(max, metric.applyAsDouble(r));
            }
        }
        max = nice(max);
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-weight=\"bold\">%s</text>%n", left, title));
        for (int i = 0; i <= 4; i++) {
            double v = max * i / 4;
            int y = y0 - (int) (plotH * i / 4.0);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\"/>"
                    + "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#57606a\">%s</text>%n", x0, y, x0 + plotW, y,
                    x0 - 4, y + 4, tick(v)));
        }
        int groups = Math.max(1, sizes.size());
        double groupW = (double) plotW / groups;
        double barW = groupW * 0.8 / Math.max(1, labels.size());
        int g = 0;
        for (int n : sizes) {
            double gx = x0 + g * groupW + groupW * 0.1;
            for (int i = 0; i < labels.size(); i++) {
                String label = labels.get(i);
                Optional<Row> r = rows.stream().filter(x -> x.label().equals(label) && x.phase().equals(phase)
                        && x.subscribers() == n).findFirst();
                if (r.isPresent() && max > 0) {
                    double v = metric.applyAsDouble(r.get());
                    int h = (int) Math.round(plotH * Math.min(v, max) / max);
                    b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                            + "fill=\"%s\"><title>%s N=%d: %s</title></rect>%n", gx + i * barW, y0 - h, barW - 1, h,
                            COLORS[i % COLORS.length], label, n, tick(v)));
                }
            }
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">N=%,d</text>%n",
                    x0 + g * groupW + groupW / 2, y0 + 16, n));
            g++;
        }
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", x0,
                y0, x0 + plotW, y0));
    }

    private static double nice(double max) {
        if (max <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(max)));
        for (double m : new double[] {1, 2, 4, 6, 8, 10}) {
            if (m * p >= max) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String tick(double v) {
        if (v >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        }
        if (v >= 1000) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3).replace(".0k", "k");
        }
        return v >= 10 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
