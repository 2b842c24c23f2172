package dev.notificationstream.stream;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Heartbeats are spread over the interval's seconds, and each stream still gets one per interval. */
class HeartbeatTest {

    private static final int INTERVAL_SECONDS = 3;
    private static final int STREAMS = 6;

    @RegisterExtension
    static final TestServer server = TestServer.forClass("SSE_HEARTBEAT_INTERVAL", Integer.toString(INTERVAL_SECONDS));

    @Test
    void each_stream_gets_one_heartbeat_per_interval_and_not_all_in_the_same_second() throws Exception {
        List<SseClient> streams = new ArrayList<>();
        try {
            for (int i = 0; i < STREAMS; i++) {
                SseClient stream = SseClient.open(server.url(), "/events", i % 2 == 0 ? "alice" : "bob", null);
                streams.add(stream);
                assertNotNull(stream.awaitCursor(Duration.ofSeconds(10)), "stream " + i + " opened");
            }
            int[] before = streams.stream().mapToInt(SseClient::comments).toArray();
            long[] firstBeatMillis = new long[STREAMS];
            long start = System.currentTimeMillis();
            long end = start + 2 * INTERVAL_SECONDS * 1000L + 500;
            while (System.currentTimeMillis() < end) {
                for (int i = 0; i < STREAMS; i++) {
                    if (firstBeatMillis[i] == 0 && streams.get(i).comments() > before[i]) {
                        firstBeatMillis[i] = System.currentTimeMillis() - start;
                    }
                }
                Thread.sleep(20);
            }

            Set<Long> seconds = new HashSet<>();
            for (int i = 0; i < STREAMS; i++) {
                int beats = streams.get(i).comments() - before[i];
                assertTrue(beats >= 2 && beats <= 3, "stream " + i + " got " + beats + " heartbeats in two intervals and a half");
                assertTrue(firstBeatMillis[i] > 0 && firstBeatMillis[i] <= INTERVAL_SECONDS * 1000L + 500,
                        "stream " + i + "'s first heartbeat came after " + firstBeatMillis[i] + " ms");
                seconds.add(Math.round(firstBeatMillis[i] / 1000.0));
            }
            assertTrue(seconds.size() >= 2, "every stream's first heartbeat came in the same second: " + seconds);
        } finally {
            for (SseClient stream : streams) {
                stream.close();
            }
        }
    }
}
