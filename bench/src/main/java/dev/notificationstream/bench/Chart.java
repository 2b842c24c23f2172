package dev.notificationstream.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/** Three-panel line charts in plain Java2D: one line per series, a solid and a dashed value per panel. */
final class Chart {

    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd), new Color(0xff7f0e),
            new Color(0x17becf), new Color(0x8c564b)};
    private static final int W = 1960, H = 560, PANEL = 560, TOP = 60, PLOT_H = 400, LEFT = 80;

    private Chart() {}

    /** Broadcast latency, memory per stream and CPU per event against N, one line per variant. */
    static void write(Map<String, TreeMap<Integer, Map<String, Double>>> medians, Path png) throws IOException {
        write(medians, png, "N = concurrent SSE streams; medians of the runs", new String[][] {
                {"Broadcast latency, INSERT start to receipt (ms): p99 solid, p50 dashed", "p99_ms", "p50_ms"},
                {"Server memory per held stream (KiB): RSS solid, live heap dashed", "rss_per_stream_kib", "heap_per_stream_kib"},
                {"CPU per delivered event (µs): server solid, load client dashed", "server_us_per_event", "client_us_per_event"}});
    }

    /** The soak (scenario 8) against the minute, one line per run. */
    static void writeSoak(Map<String, TreeMap<Integer, Map<String, Double>>> runs, Path png) throws IOException {
        write(runs, png, "x = minute of the soak: 5,000 streams, 10 % replaced per minute, 50 rows/s", new String[][] {
                {"Server memory (MiB) after a full GC: RSS solid, live heap dashed", "rss_mib", "heap_mib"},
                {"Server open files solid, threads x 100 dashed", "open_files", "threads_x100"},
                {"Latency of the minute's rows (ms): p99 solid, p50 dashed", "p99_ms", "p50_ms"}});
    }

    /** The NOTIFY commit lock against the number of concurrent writers, with the trigger and without. */
    static void writeCommitLock(Map<String, TreeMap<Integer, Map<String, Double>>> byTrigger, Path png) throws IOException {
        write(byTrigger, png, "x = concurrent writers, one-row autocommit INSERTs; trigger on / off; medians of the runs", new String[][] {
                {"Commits per second", "commits_per_s", "-"},
                {"Commit time (ms): p99 solid, p50 dashed", "p99_ms", "p50_ms"},
                {"PostgreSQL CPU (% of one core)", "db_cpu_pct", "-"}});
    }

    /** What K listeners-only instances cost PostgreSQL per inserting statement. */
    static void writeListeners(Map<String, TreeMap<Integer, Map<String, Double>>> series, Path png) throws IOException {
        write(series, png, "x = instances (ChangeFeeds) on one PostgreSQL; medians of the runs", new String[][] {
                {"Database CPU per inserting statement (µs)", "db_us_per_statement", "-"},
                {"Database transactions per inserting statement", "transactions_per_statement", "-"},
                {"Idle database CPU (% of a core): safety reads", "idle_db_cpu_pct", "-"}});
    }

    /** {@code panels}: per panel its title, the key drawn solid and the key drawn dashed. */
    private static void write(Map<String, TreeMap<Integer, Map<String, Double>>> series, Path png, String footer, String[][] panels)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        for (int p = 0; p < panels.length; p++) {
            panel(g, series, LEFT + p * (PANEL + 90), panels[p][0], panels[p][1], panels[p][2]);
        }
        // legend
        int x = LEFT, i = 0;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (String variant : series.keySet()) {
            g.setColor(COLORS[i++ % COLORS.length]);
            g.fillRect(x, H - 30, 20, 4);
            g.setColor(Color.DARK_GRAY);
            g.drawString(variant, x + 26, H - 24);
            x += 26 + g.getFontMetrics().stringWidth(variant) + 34;
        }
        g.drawString(footer, W - 20 - g.getFontMetrics().stringWidth(footer), H - 6); // below the legend, which may run wide
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static void panel(Graphics2D g, Map<String, TreeMap<Integer, Map<String, Double>>> medians, int left, String title,
            String solid, String dashed) {
        double maxX = 0, maxY = 0;
        for (TreeMap<Integer, Map<String, Double>> series : medians.values()) {
            for (Map.Entry<Integer, Map<String, Double>> e : series.entrySet()) {
                maxX = Math.max(maxX, e.getKey());
                for (String key : List.of(solid, dashed)) {
                    Double y = e.getValue().get(key);
                    if (y != null && !y.isNaN()) {
                        maxY = Math.max(maxY, y);
                    }
                }
            }
        }
        maxX = niceCeiling(maxX);
        maxY = niceCeiling(maxY * 1.05);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(Color.BLACK);
        g.drawString(title, left - 40, TOP - 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int bottom = TOP + PLOT_H;
        for (int t = 0; t <= 5; t++) {
            int y = bottom - t * PLOT_H / 5;
            g.setColor(new Color(0xe5e5e5));
            g.drawLine(left, y, left + PANEL - 40, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%,.0f", maxY * t / 5), left - 55, y + 4);
            int x = left + t * (PANEL - 40) / 5;
            g.drawString(String.format(Locale.ROOT, "%,.0f", maxX * t / 5), x - 15, bottom + 18);
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, bottom, left + PANEL - 40, bottom);
        g.drawLine(left, TOP, left, bottom);
        int i = 0;
        Stroke plain = new BasicStroke(2.2f);
        Stroke dash = new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {7f, 5f}, 0f);
        for (TreeMap<Integer, Map<String, Double>> series : medians.values()) {
            g.setColor(COLORS[i++ % COLORS.length]);
            for (String key : List.of(solid, dashed)) {
                g.setStroke(key.equals(solid) ? plain : dash);
                int px = -1, py = -1;
                for (Map.Entry<Integer, Map<String, Double>> e : series.entrySet()) {
                    Double v = e.getValue().get(key);
                    if (v == null || v.isNaN()) {
                        continue;
                    }
                    int x = left + (int) (e.getKey() / maxX * (PANEL - 40));
                    int y = bottom - (int) (v / maxY * PLOT_H);
                    g.fillOval(x - 3, y - 3, 6, 6);
                    if (px >= 0) {
                        g.drawLine(px, py, x, y);
                    }
                    px = x;
                    py = y;
                }
            }
            g.setStroke(new BasicStroke(1f));
        }
    }

    private static double niceCeiling(double value) {
        if (value <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }
}
