package dev.notificationstream.ops;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A storm of catch-ups (every client of a restarted instance reading its rows at once) holds only
 * the clients' share of the pool: readiness, read marks and publishing keep the reserve
 * ({@code DATABASE_POOL_RESERVE}). The reads are made slow for certain by a lock the test holds on
 * the table, so each one keeps its connection until the test lets go.
 */
class PoolReserveTest {

    private static final int STARTS = 6;

    @Test
    void a_storm_of_catch_ups_leaves_readiness_its_connections_and_every_stream_gets_its_rows() throws Exception {
        try (TestServer server = TestServer.start("DATABASE_POOL_SIZE", "4", "DATABASE_POOL_RESERVE", "2",
                "DATABASE_CONNECTION_TIMEOUT", "30000");
                ExecutorService starting = Executors.newVirtualThreadPerTaskExecutor()) {
            server.execute("INSERT INTO notifications (recipient, title) SELECT 'alice', 'older ' || g FROM generate_series(1, 5) g");
            List<Future<SseClient>> starts;
            // Watched from a connection of its own: pg_stat_activity holds still within a transaction.
            try (Connection lock = server.sql(); Statement locking = lock.createStatement();
                    Connection watch = server.sql(); Statement sql = watch.createStatement()) {
                lock.setAutoCommit(false);
                locking.execute("LOCK TABLE notifications IN ACCESS EXCLUSIVE MODE");
                // Starts with last_n read the database (a start "now" would be served from memory).
                starts = IntStream.range(0, STARTS)
                        .mapToObj(i -> starting.submit(() -> SseClient.open(server.url(), "/events?last_n=5", "alice", null)))
                        .toList();
                awaitReadsWaiting(sql, 2);
                Thread.sleep(1_000); // every start has reached its read by now: any beyond the share would be in the database too
                given().when().get(server.url() + "/health/ready").then().statusCode(200);
                assertEquals(2, readsWaiting(sql), "clients' reads in the database: their share of the pool, no more");
                assertTrue(starts.stream().noneMatch(Future::isDone), "the starts wait for their turn");
                lock.commit();
            }
            for (Future<SseClient> start : starts) {
                try (SseClient alice = start.get(30, TimeUnit.SECONDS)) {
                    assertEquals(200, alice.status());
                    assertEquals(5, alice.notifications(5, Duration.ofSeconds(10)).size());
                }
            }
        }
    }

    /** The application's pool connections whose query waits for the test's lock. */
    private static int readsWaiting(Statement sql) throws SQLException {
        try (ResultSet count = sql.executeQuery("""
                SELECT count(*) FROM pg_stat_activity
                WHERE application_name = 'notification-stream' AND wait_event_type = 'Lock'""")) {
            count.next();
            return count.getInt(1);
        }
    }

    private static void awaitReadsWaiting(Statement sql, int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (readsWaiting(sql) < expected) {
            assertTrue(System.nanoTime() < deadline, "the starts' reads did not reach the database");
            Thread.sleep(50);
        }
    }
}
