package dev.notificationstream.rollout;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The automatic brake, on two instances of one database: browsers report fallbacks to the first,
 * it sets the rollout to 0 in the database, and both drop to 0 (the second's open stream is told).
 * The three demo users stand for the window's clients: at least 3 seen, more than half in trouble.
 */
class BrakeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestServer first;
    private static TestServer second;

    @BeforeAll
    static void start() throws Exception {
        String[] brake = {"SSE_BRAKE_MIN_CLIENTS", "3", "SSE_BRAKE_THRESHOLD", "50"};
        first = TestServer.start(brake);
        second = TestServer.startOn(first.databaseUrl(), brake);
    }

    @AfterAll
    static void stop() throws Exception {
        second.close();
        first.close();
    }

    private static void report(String user, String events) {
        given().header("Authorization", SseClient.basic(user)).contentType("application/json").body("{\"events\":[" + events + "]}")
                .when().post(first.url() + "/api/client-events").then().statusCode(204);
    }

    private static int share(TestServer server) {
        return given().header("Authorization", SseClient.basic("alice")).when().get(server.url() + "/api/config")
                .then().statusCode(200).extract().path("sseRolloutPercent");
    }

    @Test
    void reported_fallbacks_past_the_threshold_set_the_rollout_to_zero_on_every_instance_and_it_stays_there() throws Exception {
        try (SseClient open = SseClient.open(second.url(), "/events", "bob", null)) {
            open.awaitCursor(WAIT);
            report("ops", "{\"type\":\"sse_opened\",\"reason\":\"none\"}");
            report("alice", "{\"type\":\"sse_opened\",\"reason\":\"none\"},{\"type\":\"sse_fallback\",\"reason\":\"no_events\"}");
            // Falling back because the service said so is the rollout at work, not trouble; nor is a network failure.
            report("bob", "{\"type\":\"sse_fallback\",\"reason\":\"disabled\"},{\"type\":\"sse_failed\",\"reason\":\"network\"},"
                    + "{\"type\":\"sse_failed\",\"reason\":\"http_status\"},{\"type\":\"sse_failed\",\"reason\":\"watchdog\"}");
            Thread.sleep(2_500); // the brake looks once a second: it has looked at 1 of 3 in trouble, twice
            assertEquals(100, share(first), "one user in three is not more than half");
            assertEquals(0, first.metric("notification_stream_sse_brake_trips_total"));

            report("bob", "{\"type\":\"sse_failed\",\"reason\":\"no_events\"}"); // bob's third transport failure
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (share(first) != 0 || share(second) != 0) {
                assertTrue(System.nanoTime() < deadline, "both instances drop to 0");
                Thread.sleep(20);
            }
            SseClient.Event told;
            do {
                told = open.next(WAIT);
            } while (told != null && told.type().equals("cursor"));
            assertEquals("config", told == null ? null : told.type(), "the other instance's open stream is told");
            assertEquals(false, told.json().get("sseEnabled").asBoolean());
        }
        assertEquals(1, first.metric("notification_stream_sse_brake_trips_total"));
        assertEquals(0, second.metric("notification_stream_sse_rollout_ratio"));
        given().header("Authorization", SseClient.basic("alice")).when().get(second.url() + "/events")
                .then().statusCode(503).body("error", equalTo("sse_disabled"));
        try (Connection connection = first.sql(); Statement sql = connection.createStatement();
                ResultSet last = sql.executeQuery("SELECT value, reason FROM notification_settings_history ORDER BY id DESC LIMIT 1")) {
            assertTrue(last.next());
            assertEquals(0, last.getInt(1));
            assertTrue(last.getString(2).startsWith("brake: 2 of 3 users on SSE in the last 300 s"), last.getString(2));
        }

        // It never raises the share itself; an operator does, and the window starts afresh.
        first.execute("SELECT notifications_set_sse_rollout(100, 'fixed the proxy')");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (share(first) != 100) {
            assertTrue(System.nanoTime() < deadline);
            Thread.sleep(20);
        }
        Thread.sleep(2_000);
        assertEquals(100, share(first), "the reports from before the trip do not trip it again");
        assertEquals(1, first.metric("notification_stream_sse_brake_trips_total"));
    }

}
