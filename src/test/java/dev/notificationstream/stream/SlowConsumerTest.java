package dev.notificationstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A client that stops reading must not hold up the others, even on the same writer thread. */
class SlowConsumerTest {

    // One writer thread for every stream, small pages (many writes), and heartbeats too rare to
    // cut the stuck client during the test: only non-blocking writes can keep bob served.
    @RegisterExtension
    static final TestServer server = TestServer.forClass("SSE_WRITER_THREADS", "1", "FEED_PAGE_SIZE", "50", "SSE_HEARTBEAT_INTERVAL", "120");

    @Test
    void a_client_that_stops_reading_does_not_delay_the_others() throws Exception {
        try (Socket stuck = SseClient.openAndNeverRead("alice", server.tomcat().port());
                SseClient bob = SseClient.open(server.url(), "/events", "bob", null)) {
            bob.awaitCursor(Duration.ofSeconds(10));
            assertEquals(2, server.awaitActiveStreams(2, Duration.ofSeconds(15)));
            // 1,000 broadcast rows of 8 KB: far more than the stuck client's socket buffers hold.
            server.execute("INSERT INTO notifications (title, body) SELECT 'big ' || g, repeat('x', 8000) FROM generate_series(1, 1000) g");
            assertEquals(1000, bob.notifications(1000, Duration.ofSeconds(60)).size());
            assertEquals(2, server.activeStreams(), "the stuck client was still connected while bob got everything");
        }
    }
}
