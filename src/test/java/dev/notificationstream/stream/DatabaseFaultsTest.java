package dev.notificationstream.stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TcpProxy;
import dev.notificationstream.support.TestDatabase;
import dev.notificationstream.support.TestServer;
import io.restassured.response.Response;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The database as it fails in production: a network path that goes silent (a TCP proxy the test
 * freezes), and tables that a failure leaves a read half done.
 */
class DatabaseFaultsTest {

    private static String readiness(TestServer server, String field) {
        return given().when().get(server.url() + "/health/ready").then().extract().path(field).toString();
    }

    private static Duration awaitReadiness(TestServer server, String field, String value, Duration timeout) throws InterruptedException {
        long started = System.nanoTime();
        while (!value.equals(readiness(server, field))) {
            assertTrue(System.nanoTime() - started < timeout.toNanos(), field + " did not become " + value);
            Thread.sleep(50);
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    @Test
    void a_frozen_listening_path_is_noticed_reported_and_rows_keep_arriving_through_the_pool() throws Exception {
        String database = TestDatabase.create();
        try (TcpProxy proxy = TcpProxy.to(database);
                TestServer server = TestServer.startOn(database, "LISTEN_DATABASE_URL", proxy.url(database),
                        "FEED_SAFETY_INTERVAL", "60", "SSE_HEARTBEAT_INTERVAL", "30");
                SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            alice.awaitCursor(Duration.ofSeconds(10));
            proxy.freeze();
            // The LISTEN connection is probed each quiet second and times out after LISTEN_TIMEOUT (3 s).
            awaitReadiness(server, "changeFeed", "POLLING", Duration.ofSeconds(15));
            given().when().get(server.url() + "/health/ready").then().statusCode(200); // rows still flow
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'during the freeze')");
            // Read through the pool once a second: without that it waited for the thaw.
            assertEquals("during the freeze", alice.notifications(1, Duration.ofSeconds(10)).getFirst().get("title").asText());
            proxy.thaw();
            awaitReadiness(server, "changeFeed", "UP", Duration.ofSeconds(30));
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'after the thaw')");
            assertEquals("after the thaw", alice.notifications(1, Duration.ofSeconds(10)).getFirst().get("title").asText());
            assertEquals(List.of(), alice.drain(Duration.ofSeconds(2)), "nothing twice");
        }
    }

    @Test
    void an_unreachable_database_costs_a_quick_503_with_retry_after_and_readiness_says_so_at_once() throws Exception {
        String database = TestDatabase.create();
        try (TcpProxy proxy = TcpProxy.to(database);
                TestServer server = TestServer.startOn(proxy.url(database))) {
            given().header("Authorization", SseClient.basic("alice")).when().get(server.url() + "/api/notifications").then().statusCode(200);
            proxy.freeze();
            long started = System.nanoTime();
            Response ready = given().when().get(server.url() + "/health/ready");
            long readyMillis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(503, ready.statusCode());
            assertEquals("DOWN", ready.path("database"));
            // Bounds with room for a loaded machine, far below what it was: HikariCP's 30 s.
            assertTrue(readyMillis < 5_000, "readiness answered after " + readyMillis + " ms");

            // A stream start that reads the database (last_n; one "now" or from a recent cursor needs none:
            // the ChangeFeed's recent pages serve it, and its rows follow once the database is back).
            for (String path : List.of("/api/notifications", "/events?last_n=1", "/api/notifications/unread-count")) {
                started = System.nanoTime();
                Response refused = given().header("Authorization", SseClient.basic("bob")).when().get(server.url() + path);
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertEquals(503, refused.statusCode(), path);
                assertEquals("unavailable", refused.path("error"), path);
                assertTrue(Integer.parseInt(refused.header("Retry-After")) > 0, path);
                // The pool's connection timeout (2 s), or a pooled connection's socket timeout (10 s).
                assertTrue(millis < 15_000, path + " answered after " + millis + " ms");
            }
            proxy.thaw();
            TestServer.awaitReady(server.url());
        }
    }

    @Test
    void a_read_cut_short_after_its_rows_went_out_does_not_send_them_again() throws Exception {
        try (TestServer server = TestServer.start("FEED_SAFETY_INTERVAL", "60");
                SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            alice.awaitCursor(Duration.ofSeconds(10));
            // The feed's read of read marks, after the rows' pages, now fails, as a connection lost at that moment would.
            server.execute("ALTER TABLE notification_reads RENAME TO notification_reads_away");
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'once')");
            List<JsonNode> first = alice.notifications(1, Duration.ofSeconds(10));
            Thread.sleep(3_000); // the feed retries its read, through the pool and on a new LISTEN connection
            server.execute("ALTER TABLE notification_reads_away RENAME TO notification_reads");
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'next')");
            List<JsonNode> rest = alice.drain(Duration.ofSeconds(3));
            assertEquals("once", first.getFirst().get("title").asText());
            assertEquals(List.of("next"), rest.stream().map(n -> n.get("title").asText()).toList(), "'once' came once");
        }
    }

    @Test
    void a_stream_start_waiting_for_the_database_is_not_counted_as_open() throws Exception {
        try (TestServer server = TestServer.start()) {
            try (Connection lock = server.sql(); Statement sql = lock.createStatement()) {
                lock.setAutoCommit(false);
                sql.execute("LOCK TABLE notifications IN ACCESS EXCLUSIVE MODE"); // every read waits
                List<Thread> starts = new java.util.ArrayList<>();
                List<SseClient> clients = new java.util.concurrent.CopyOnWriteArrayList<>();
                for (String user : List.of("alice", "bob", "ops")) {
                    starts.add(Thread.ofVirtual().start(() -> {
                        try {
                            // last_n: a start that reads the database ("now" alone is served from memory)
                            clients.add(SseClient.open(server.url(), "/events?last_n=1", user, null));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }));
                }
                awaitWaitingReads(server, 3);
                assertEquals(0, server.activeStreams(), "three starts wait for their first read");
                lock.rollback();
                for (Thread start : starts) {
                    start.join(10_000);
                }
                assertEquals(3, server.awaitActiveStreams(3, Duration.ofSeconds(10)));
                clients.forEach(SseClient::close);
            }
        }
    }

    /** Until {@code count} of the service's queries wait for a lock. */
    private static void awaitWaitingReads(TestServer server, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        try (Connection connection = TestDatabase.connect(server.databaseUrl()); Statement sql = connection.createStatement()) {
            while (true) {
                try (var result = sql.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'notification-stream'"
                        + " AND wait_event_type = 'Lock' AND datname = current_database()")) {
                    result.next();
                    if (result.getInt(1) >= count) {
                        return;
                    }
                }
                assertTrue(System.nanoTime() < deadline, "the stream starts did not reach the database");
                Thread.sleep(20);
            }
        }
    }
}
