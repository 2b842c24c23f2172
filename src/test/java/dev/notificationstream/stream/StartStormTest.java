package dev.notificationstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.StreamCrowd;
import dev.notificationstream.support.TestServer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A storm of starts "now" while nothing is written (the feed has not read since long before the
 * requests: every start needs a snapshot taken after its request). Each start waits for a feed
 * read that began after it, and they share those reads: all are served from the recent pages, with
 * fewer reads than starts. Before, each start read the database alone, and 19,000 of them at once
 * emptied the pool (503s after the connection timeout).
 */
class StartStormTest {

    private static final int STARTS = 200;

    @Test
    void a_storm_of_starts_now_on_a_quiet_feed_shares_the_feeds_reads() throws Exception {
        try (TestServer server = TestServer.start("SSE_MAX_CONNECTIONS_PER_USER", "1000", "SSE_MIN_START_INTERVAL", "1",
                "FEED_SAFETY_INTERVAL", "3600")) {
            double fromMemory0 = server.metric("notification_stream_sse_starts_from_memory_total");
            double reads0 = server.metric("notification_stream_change_feed_fetch_seconds_count");
            try (StreamCrowd crowd = new StreamCrowd(server.tomcat().port(), List.of("alice", "bob"), STARTS)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (crowd.live() < STARTS) {
                    assertTrue(System.nanoTime() < deadline, crowd.live() + " of " + STARTS + " streams live");
                    Thread.sleep(20);
                }
                double fromMemory = server.metric("notification_stream_sse_starts_from_memory_total") - fromMemory0;
                double reads = server.metric("notification_stream_change_feed_fetch_seconds_count") - reads0;
                System.out.printf("start storm: %d starts now, %.0f from memory, %.0f feed reads%n", STARTS, fromMemory, reads);
                assertEquals(STARTS, fromMemory, "every start from the recent pages");
                assertEquals(STARTS, crowd.connects(), "none refused or retried");
                assertTrue(reads < STARTS, reads + " feed reads for " + STARTS + " starts");
            }
        }
    }
}
