package dev.notificationstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.StreamCrowd;
import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Stop and start the service under a crowd of open streams: every stream is told to come back
 * (spread over the retry interval), ended within the grace period, and after the restart every
 * client has every row, including those inserted while the service was down, once.
 */
class GracefulShutdownTest {

    private static final int STREAMS = 2_000;

    private static long awaitSeconds(BooleanSupplier condition, int limitSeconds) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(limitSeconds).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static Set<Long> insertBroadcasts(TestServer server, String title, int count) throws Exception {
        Set<Long> ids = new HashSet<>();
        try (Connection connection = server.sql(); Statement sql = connection.createStatement();
                ResultSet rows = sql.executeQuery("INSERT INTO notifications (title) SELECT '" + title + " ' || g "
                        + "FROM generate_series(1, " + count + ") g RETURNING id")) {
            while (rows.next()) {
                ids.add(rows.getLong(1));
            }
        }
        return ids;
    }

    @Test
    void a_restart_under_thousands_of_streams_loses_nothing_and_brings_every_client_back() throws Exception {
        try (TestServer server = TestServer.start("SSE_RETRY_INTERVAL", "3000", "SHUTDOWN_GRACE_PERIOD", "10",
                "SSE_MAX_CONNECTIONS_PER_USER", "5000", "SSE_MAX_CONNECTIONS_PER_ADDRESS", "5000");
                StreamCrowd crowd = new StreamCrowd(server.tomcat().port(), List.of("alice", "bob"), STREAMS)) {
            assertTrue(awaitSeconds(() -> crowd.live() == STREAMS, 60) < 60_000, "all streams open: " + crowd.live());
            Set<Long> expected = insertBroadcasts(server, "before", 1);
            awaitSeconds(() -> crowd.allReceived(expected), 30);
            assertTrue(crowd.allReceived(expected), "every stream got the row before the stop");

            long stopStarted = System.nanoTime();
            server.stop();
            long stopMillis = (System.nanoTime() - stopStarted) / 1_000_000;
            awaitSeconds(() -> crowd.live() == 0, 5); // the crowd's selector reads the last bytes and EOFs
            assertEquals(0, crowd.live(), "every stream was ended by the stop");
            assertTrue(stopMillis < 15_000, "the stop finished within the grace period: " + stopMillis + " ms");
            long toldToComeBack = crowd.streams().stream().filter(s -> s.retryMs() != 3000).count();
            assertTrue(toldToComeBack > STREAMS * 0.9, "streams got a jittered retry: " + toldToComeBack);

            expected.addAll(insertBroadcasts(server, "while down", 3));
            server.restart();
            long caughtUp = awaitSeconds(() -> crowd.allReceived(expected), 60);
            assertTrue(crowd.allReceived(expected), "every client has every row after the restart");
            assertEquals(0, crowd.duplicates(), "and none twice");
            System.out.printf("graceful restart: %d streams, stop took %d ms, all caught up %d ms after the restart%n",
                    STREAMS, stopMillis, caughtUp);
        }
    }
}
