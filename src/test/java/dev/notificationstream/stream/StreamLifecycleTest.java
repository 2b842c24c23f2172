package dev.notificationstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The server lets go of streams nobody reads: a closed client, and one that stopped reading. */
class StreamLifecycleTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass(); // heartbeat every second

    @Test
    void a_client_that_goes_away_is_noticed_by_the_next_heartbeats() throws Exception {
        SseClient alice = SseClient.open(server.url(), "/events", "alice", null);
        alice.awaitCursor(Duration.ofSeconds(10));
        assertEquals(1, server.awaitActiveStreams(1, Duration.ofSeconds(5)));
        alice.close();
        assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(5)));
    }

    @Test
    void a_stream_is_logged_once_when_it_ends_with_its_reason_and_how_long_it_was_open() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(record.getLevel() + " " + record.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger log = Logger.getLogger(SseServlet.class.getName());
        Level level = log.getLevel();
        log.setLevel(Level.INFO); // the tests' logging.properties shows warnings only
        log.setUseParentHandlers(false);
        log.addHandler(capture);
        try {
            SseClient ops = SseClient.open(server.url(), "/events", "ops", null);
            ops.awaitCursor(Duration.ofSeconds(10));
            Thread.sleep(1_100); // open for a second
            assertEquals(List.of(), lines.stream().filter(l -> l.contains("user=ops")).toList(), "nothing while it is open");
            ops.close();
            assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(5)));
            List<String> ended = lines.stream().filter(l -> l.contains("user=ops")).toList();
            assertEquals(1, ended.size(), ended.toString());
            assertTrue(ended.getFirst().matches("INFO stream ended user=ops remote=\\S+ reason=CLIENT_GONE from=now seconds=[1-9]\\d*"), ended.getFirst());
        } finally {
            log.removeHandler(capture);
            log.setUseParentHandlers(true);
            log.setLevel(level);
        }
    }

    @Test
    void a_client_that_stops_reading_is_cut_off_and_can_resume_later() throws Exception {
        try (Socket stuck = SseClient.openAndNeverRead("bob", server.tomcat().port())) {
            assertEquals(1, server.awaitActiveStreams(1, Duration.ofSeconds(5)));
            server.execute("INSERT INTO notifications (title, body) SELECT 'big ' || g, repeat('x', 8000) FROM generate_series(1, 1000) g");
            // Stalled for two heartbeats (2 s here): the server ends the stream.
            assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(15)));
        }
    }
}
