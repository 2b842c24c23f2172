package dev.notificationstream.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MetricsAndHealthTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass();

    private static String metrics() {
        return given().header("Authorization", SseClient.basic("ops")).when().get(server.url() + "/metrics")
                .then().statusCode(200).extract().asString();
    }

    private static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(text);
        assertTrue(m.find(), series + " is exposed");
        return Double.parseDouble(m.group(1));
    }

    @Test
    void metrics_count_streams_resumes_deliveries_and_heartbeats_and_include_the_jvm() throws Exception {
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            String cursor = alice.awaitCursor(Duration.ofSeconds(10));
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'counted')");
            alice.notifications(1, Duration.ofSeconds(10));
            try (SseClient resumed = SseClient.open(server.url(), "/events", "bob", cursor)) {
                resumed.awaitCursor(Duration.ofSeconds(10));
                Thread.sleep(1_500); // a heartbeat
                String text = metrics();
                assertTrue(value(text, "notification_stream_sse_connections_active") >= 2);
                assertTrue(value(text, "notification_stream_sse_connections_total") >= 2);
                assertTrue(value(text, "notification_stream_sse_resumes_total") >= 1);
                assertTrue(value(text, "notification_stream_notifications_sent_total") >= 1);
                assertTrue(value(text, "notification_stream_heartbeats_sent_total") >= 1);
                assertTrue(value(text, "notification_stream_delivery_delay_seconds_count") >= 1);
                assertTrue(value(text, "notification_stream_change_feed_fetch_seconds_count") >= 1);
                assertTrue(text.contains("notification_stream_change_feed_reconnects_total"));
                assertTrue(text.contains("jvm_memory_used_bytes"), "the JVM's own metrics");
                assertTrue(text.contains("jvm_threads_current"));
            }
        }
        given().header("Authorization", SseClient.basic("alice")).when().get(server.url() + "/api/notifications").then().statusCode(200);
        assertTrue(value(metrics(), "notification_stream_poll_requests_total") >= 1);
    }

    @Test
    void a_back_dated_row_is_delayed_from_its_read_not_its_created_at_and_replayed_rows_count_as_sent() throws Exception {
        String cursor;
        try (SseClient bob = SseClient.open(server.url(), "/events", "bob", null)) {
            cursor = bob.awaitCursor(Duration.ofSeconds(10));
            assertEquals(1, server.awaitActiveStreams(1, Duration.ofSeconds(10)), "no other test's stream is still counted in");
            String before = metrics();
            // A DBA's load of yesterday's rows: created_at in the past, visible now.
            server.execute("INSERT INTO notifications (recipient, title, created_at) VALUES ('bob', 'from yesterday', now() - interval '1 day')");
            bob.notifications(1, Duration.ofSeconds(10));
            String after = metrics();
            assertEquals(1, value(after, "notification_stream_delivery_delay_seconds_count")
                    - value(before, "notification_stream_delivery_delay_seconds_count"));
            assertEquals(1, value(after, "notification_stream_delivery_delay_seconds_bucket{le=\"60.0\"}")
                    - value(before, "notification_stream_delivery_delay_seconds_bucket{le=\"60.0\"}"), "not a day late");
        }
        // Until the server has let go of it, the closed stream would still be sent the next rows.
        assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(10)));
        server.execute("INSERT INTO notifications (recipient, title) SELECT 'bob', 'missed ' || g FROM generate_series(1, 3) g");
        String before = metrics();
        try (SseClient resumed = SseClient.open(server.url(), "/events", "bob", cursor)) {
            assertEquals(4, resumed.notifications(4, Duration.ofSeconds(10)).size(), "yesterday's row and the three missed");
            resumed.awaitCursor(Duration.ofSeconds(10));
            String after = metrics();
            assertEquals(4, value(after, "notification_stream_notifications_sent_total") - value(before, "notification_stream_notifications_sent_total"),
                    "the replay's rows are sent rows too");
            assertEquals(value(before, "notification_stream_delivery_delay_seconds_count"), value(after, "notification_stream_delivery_delay_seconds_count"),
                    "a replay has no delivery delay: the client was away");
        }
    }

    @Test
    void metrics_are_for_the_metrics_role_only() {
        given().when().get(server.url() + "/metrics").then().statusCode(401);
        given().header("Authorization", SseClient.basic("alice")).when().get(server.url() + "/metrics")
                .then().statusCode(403).body("error", equalTo("forbidden"));
    }

    @Test
    void health_is_cheap_and_readiness_reports_the_database_the_feed_and_the_limits() {
        given().when().get(server.url() + "/health").then().statusCode(200)
                .body("status", equalTo("UP")).body("virtualThreads", equalTo(true));
        given().when().get(server.url() + "/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("database", equalTo("UP"))
                .body("changeFeed", equalTo("UP"))
                .body("msSinceLastFetch", greaterThanOrEqualTo(0))
                .body("activeStreams", greaterThanOrEqualTo(0))
                .body("maxStreams", equalTo(9500))
                .body("maxStreamsPerUser", equalTo(10));
    }
}
