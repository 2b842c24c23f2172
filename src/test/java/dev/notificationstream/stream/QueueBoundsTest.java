package dev.notificationstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What the queues may hold in bytes: one stream's (SSE_QUEUE_BYTES) and all streams' together
 * (SSE_QUEUES_TOTAL_MB), each page counted once. The heap-sized case is StuckClientIT.
 */
class QueueBoundsTest {

    private static final String BULK = "INSERT INTO notifications (title, body) SELECT 'big ' || g, repeat('x', 2000) FROM generate_series(1, 5000) g";

    @Test
    void a_stream_past_its_own_bound_is_ended_and_the_others_get_everything() throws Exception {
        try (TestServer server = TestServer.start("SSE_QUEUE_BYTES", "1048576", "FEED_PAGE_SIZE", "100", "SSE_HEARTBEAT_INTERVAL", "120")) {
            assertStuckOneIsEnded(server);
        }
    }

    @Test
    void past_the_bound_of_all_queues_the_stream_holding_the_most_is_ended() throws Exception {
        try (TestServer server = TestServer.start("SSE_QUEUE_BYTES", "1073741824", "SSE_QUEUES_TOTAL_MB", "2",
                "FEED_PAGE_SIZE", "100", "SSE_HEARTBEAT_INTERVAL", "120")) {
            assertStuckOneIsEnded(server);
        }
    }

    /** 10 MB of broadcast rows to a stuck stream and a reading one; the heartbeats are too rare to cut anyone. */
    private static void assertStuckOneIsEnded(TestServer server) throws Exception {
        try (Socket stuck = SseClient.openAndNeverRead("alice", server.tomcat().port());
                SseClient bob = SseClient.open(server.url(), "/events", "bob", null)) {
            bob.awaitCursor(Duration.ofSeconds(10));
            assertEquals(2, server.awaitActiveStreams(2, Duration.ofSeconds(15)));
            server.execute(BULK);
            assertEquals(5000, bob.notifications(5000, Duration.ofSeconds(60)).size());
            assertEquals(1, server.awaitActiveStreams(1, Duration.ofSeconds(10)), "the stuck stream was ended, bob's was not");
        }
    }
}
