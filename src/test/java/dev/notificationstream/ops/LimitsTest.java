package dev.notificationstream.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each limit answers with 429 or 503, a Retry-After and a JSON body, and others keep being served. */
class LimitsTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass("SSE_MAX_CONNECTIONS_PER_USER", "2", "SSE_MAX_CONNECTIONS_PER_ADDRESS", "3",
                "SSE_MAX_CONNECTIONS", "100", "POLL_MIN_INTERVAL", "60000", "PUBLISH_RATE_LIMIT", "2");

    @Test
    void streams_per_user_and_per_address_are_capped_and_freed_when_they_close() throws Exception {
        List<SseClient> open = new ArrayList<>();
        try {
            open.add(SseClient.open(server.url(), "/events", "alice", null));
            open.add(SseClient.open(server.url(), "/events", "alice", null));
            SseClient third = SseClient.open(server.url(), "/events", "alice", null);
            assertEquals(429, third.status());
            assertEquals("30", third.response().headers().firstValue("Retry-After").orElseThrow());
            third.close();

            open.add(SseClient.open(server.url(), "/events", "bob", null)); // the 3rd from 127.0.0.1
            SseClient fourth = SseClient.open(server.url(), "/events", "bob", null);
            assertEquals(429, fourth.status(), "the per-address cap");
            fourth.close();
            open.forEach(client -> assertEquals(200, client.status()));

            open.removeFirst().close();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int status;
            do {
                try (SseClient again = SseClient.open(server.url(), "/events", "alice", null)) {
                    status = again.status();
                }
            } while (status != 200 && System.nanoTime() < deadline);
            assertEquals(200, status, "a closed stream frees its place");
        } finally {
            open.forEach(SseClient::close);
        }
    }

    @Test
    void a_head_of_the_stream_opens_none() throws Exception {
        for (int i = 0; i < 5; i++) {
            given().header("Authorization", SseClient.basic("ops")).when().head(server.url() + "/events")
                    .then().statusCode(200).contentType("text/event-stream");
        }
        // Had the HEADs held streams, ops (2 per user here) could open none of its own.
        try (SseClient first = SseClient.open(server.url(), "/events", "ops", null);
                SseClient second = SseClient.open(server.url(), "/events", "ops", null)) {
            assertEquals(200, first.status());
            assertEquals(200, second.status());
        }
    }

    @Test
    void starting_streams_faster_than_the_minimum_interval_gets_429_after_the_burst() throws Exception {
        try (TestServer paced = TestServer.start("SSE_MAX_CONNECTIONS_PER_USER", "3", "SSE_MIN_START_INTERVAL", "60000")) {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                try (SseClient stream = SseClient.open(paced.url(), "/events?last_n=5", "ops", null)) {
                    statuses.add(stream.status());
                    if (stream.status() == 429) {
                        // What is left of the minute since the burst's last token: 60 s, less the time this loop took.
                        int retryAfter = Integer.parseInt(stream.response().headers().firstValue("Retry-After").orElseThrow());
                        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
                        assertEquals("rate_limited", new ObjectMapper().readTree(stream.response().body()).get("error").asText());
                    }
                }
                paced.awaitActiveStreams(0, Duration.ofSeconds(10)); // the per-user cap is not what refuses
            }
            assertEquals(List.of(200, 200, 200, 429, 429), statuses, "a burst of SSE_MAX_CONNECTIONS_PER_USER, then one a minute");
            try (SseClient other = SseClient.open(paced.url(), "/events", "alice", null)) {
                assertEquals(200, other.status(), "per user: others start as before");
            }
        }
    }

    @Test
    void polling_faster_than_the_minimum_interval_gets_429_after_the_burst() {
        int refused = 0;
        for (int i = 0; i < 12; i++) {
            var response = given().header("Authorization", SseClient.basic("bob")).when().get(server.url() + "/api/notifications");
            if (response.statusCode() == 429) {
                refused++;
                response.then().header("Retry-After", notNullValue()).body("error", equalTo("rate_limited"));
            }
        }
        assertEquals(2, refused, "a burst of 10 is allowed, the rest waits for POLL_MIN_INTERVAL");
    }

    @Test
    void publishing_is_rate_limited_per_user() {
        int created = 0;
        int refused = 0;
        for (int i = 0; i < 4; i++) {
            int status = given().header("Authorization", SseClient.basic("ops")).contentType("application/json")
                    .body("{\"title\":\"rate " + i + "\"}").when().post(server.url() + "/api/notifications").statusCode();
            created += status == 201 ? 1 : 0;
            refused += status == 429 ? 1 : 0;
        }
        assertEquals(2, created);
        assertEquals(2, refused);
    }
}
