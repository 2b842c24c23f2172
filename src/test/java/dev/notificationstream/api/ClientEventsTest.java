package dev.notificationstream.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** POST /api/client-events: fixed types and reasons, counted per type and reason; everything else a 4xx that says why. */
class ClientEventsTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass("CLIENT_EVENTS_RATE_LIMIT", "12");

    private static io.restassured.response.ValidatableResponse post(String user, String body) {
        return given().header("Authorization", SseClient.basic(user)).contentType("application/json").body(body)
                .when().post(server.url() + "/api/client-events").then();
    }

    @Test
    void reported_events_are_counted_by_type_and_reason() {
        double before = server.metric("notification_stream_client_events_total{reason=\"no_events\",type=\"sse_fallback\"}");
        double errors = server.metric("notification_stream_sse_errors_total{side=\"client\"}");
        post("alice", "{\"events\":[{\"type\":\"sse_failed\",\"reason\":\"no_events\"},{\"type\":\"sse_fallback\",\"reason\":\"no_events\"},"
                + "{\"type\":\"sse_fallback\",\"reason\":\"no_events\"}]}").statusCode(204);
        assertEquals(before + 2, server.metric("notification_stream_client_events_total{reason=\"no_events\",type=\"sse_fallback\"}"));
        assertEquals(errors + 1, server.metric("notification_stream_sse_errors_total{side=\"client\"}"), "a reported failure is an SSE error");
    }

    @Test
    void a_type_or_reason_off_the_list_or_another_shape_is_a_400_naming_it() {
        post("bob", "{\"events\":[{\"type\":\"sse_opened\",\"reason\":\"none\"},{\"type\":\"mined_bitcoin\",\"reason\":\"none\"}]}")
                .statusCode(400).body("error", equalTo("invalid_event")).body("message", containsString("events[1]: type must be one of"));
        post("bob", "{\"events\":[{\"type\":\"sse_failed\",\"reason\":\"<script>\"}]}")
                .statusCode(400).body("error", equalTo("invalid_event")).body("message", containsString("reason must be one of"));
        post("bob", "{\"events\":[{\"type\":\"sse_failed\",\"reason\":\"none\",\"extra\":1}]}").statusCode(400).body("error", equalTo("invalid_event"));
        post("bob", "{\"events\":[]}").statusCode(400).body("error", equalTo("invalid_event"));
        post("bob", "[1,2]").statusCode(400).body("error", equalTo("invalid_event"));
        post("bob", "{\"events\":[" + String.join(",", Collections.nCopies(51, "{\"type\":\"sse_opened\",\"reason\":\"none\"}")) + "]}")
                .statusCode(400).body("message", containsString("1 to 50"));
        post("bob", "{\"events\":").statusCode(400).body("error", equalTo("invalid_json"));
        given().header("Authorization", SseClient.basic("bob")).contentType("text/plain").body("{\"events\":[]}")
                .when().post(server.url() + "/api/client-events").then().statusCode(415);
        given().header("Authorization", SseClient.basic("bob")).header("Origin", "https://evil.example").contentType("application/json")
                .body("{\"events\":[{\"type\":\"sse_fallback\",\"reason\":\"no_events\"}]}")
                .when().post(server.url() + "/api/client-events").then().statusCode(403).body("error", equalTo("forbidden_origin"));
    }

    @Test
    void a_user_who_reports_too_often_is_told_to_wait() {
        String body = "{\"events\":[{\"type\":\"sse_resumed\",\"reason\":\"none\"}]}";
        for (int i = 0; i < 12; i++) { // a minute's worth at once
            post("ops", body).statusCode(204);
        }
        post("ops", body).statusCode(429).body("error", equalTo("rate_limited")).header("Retry-After", equalTo("5"));
        post("alice", body).statusCode(204); // per user
    }

}
