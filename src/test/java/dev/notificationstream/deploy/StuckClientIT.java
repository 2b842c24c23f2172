package dev.notificationstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.launch.TomcatDistribution;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestDatabase;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One client that stops reading must not take the server down. On the distribution at the run
 * command's heap (512 MB, -XX:+ExitOnOutOfMemoryError): one /events that never reads, one that
 * reads, and one INSERT ... SELECT of 100,000 broadcast rows of 2 KB. Without a bound in bytes the
 * stuck stream's queue kept every page the other had long received: OutOfMemoryError 5 s after the
 * commit, and the JVM exited.
 */
class StuckClientIT {

    private static final int ROWS = 100_000;

    @Test
    void a_client_that_never_reads_is_cut_off_and_the_others_get_all_100_000_rows_of_2_kb() throws Exception {
        String databaseUrl = TestDatabase.create();
        Path base = TomcatDistribution.prepare(Path.of("target/it-stuck-tomcat"), true);
        Path console = base.resolve("logs/console.log");
        try (TomcatDistribution tomcat = TomcatDistribution.start(base, TomcatDistribution.freePort(),
                        Map.of("DATABASE_URL", databaseUrl), console);
                Socket stuck = SseClient.openAndNeverRead("alice", tomcat.port())) {
            Reader bob = new Reader(tomcat.port());
            Thread reading = Thread.ofPlatform().start(bob);
            awaitStreams(tomcat, 2);
            try (Connection connection = TestDatabase.connect(databaseUrl); Statement sql = connection.createStatement()) {
                sql.execute("INSERT INTO notifications (title, body) SELECT 'bulk ' || g, repeat('x', 2000) FROM generate_series(1, " + ROWS + ") g");
            }
            reading.join(Duration.ofMinutes(2));
            assertTrue(tomcat.isAlive(), "Tomcat is still running; see " + console);
            assertEquals(ROWS, bob.ids.cardinality(), "rows the reading client received (resuming when cut off)");
            String log = Files.readString(console);
            assertTrue(!log.contains("java.lang.OutOfMemoryError"), "no OutOfMemoryError in " + console);
            assertTrue(Pattern.compile("stream ended user=alice .*reason=SLOW_CONSUMER").matcher(log).find(),
                    "the stuck stream was ended: " + console);
        }
    }

    private static void awaitStreams(TomcatDistribution tomcat, int count) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            Pattern active = Pattern.compile("\"activeStreams\":(\\d+)");
            while (true) {
                String ready = http.send(HttpRequest.newBuilder(URI.create(tomcat.url() + "/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = active.matcher(ready);
                if (m.find() && Integer.parseInt(m.group(1)) >= count) {
                    return;
                }
                assertTrue(System.nanoTime() < deadline, "streams did not open: " + ready);
                Thread.sleep(50);
            }
        }
    }

    /**
     * Bob's stream, read as fast as it comes and kept lean (ids only, 200 MB would not fit a test's
     * heap as events): when the server ends it, it resumes from its last id, as browsers do.
     */
    private static final class Reader implements Runnable {
        private static final Pattern ROW_ID = Pattern.compile("^data: \\{\"id\":(\\d+),");
        final BitSet ids = new BitSet();
        private final int port;
        private String cursor;

        Reader(int port) {
            this.port = port;
        }

        @Override
        public void run() {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (ids.cardinality() < ROWS && System.nanoTime() < deadline) {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    socket.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                            + "Authorization: " + SseClient.basic("bob") + "\r\n"
                            + (cursor == null ? "" : "Last-Event-ID: " + cursor + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    InputStream in = socket.getInputStream();
                    BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 65_536);
                    String line;
                    while ((line = lines.readLine()) != null && ids.cardinality() < ROWS) {
                        if (line.startsWith("id: ")) {
                            cursor = line.substring(4);
                        } else if (line.startsWith("data: {\"id\":")) {
                            Matcher m = ROW_ID.matcher(line);
                            if (m.find()) {
                                ids.set(Integer.parseInt(m.group(1))); // a fresh table: ids 1 to ROWS
                            }
                        }
                    }
                } catch (IOException cut) {
                    // resume below
                }
            }
        }
    }
}
