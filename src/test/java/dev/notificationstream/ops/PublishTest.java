package dev.notificationstream.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** POST /api/notifications: the row a DBA would insert, for notifiers only, checked field by field. */
class PublishTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass("PUBLISH_RATE_LIMIT", "1000", "MAX_REQUEST_BYTES", "4096");

    private static RequestSpecification as(String user) {
        return given().header("Authorization", SseClient.basic(user)).contentType("application/json");
    }

    @Test
    void a_notifier_publishes_and_the_row_reaches_its_recipients_stream() throws Exception {
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            alice.awaitCursor(Duration.ofSeconds(10));
            as("ops").body("{\"recipient\":\"alice\",\"category\":\"deploy\",\"title\":\"Release 4.2\",\"link\":\"/releases/4.2\",\"data\":{\"build\":77}}")
                    .when().post(server.url() + "/api/notifications")
                    .then().statusCode(201)
                    .header("Location", containsString("/api/notifications/"))
                    .body("id", notNullValue())
                    .body("title", equalTo("Release 4.2"))
                    .body("data.build", equalTo(77));
            var received = alice.notifications(1, Duration.ofSeconds(10)).getFirst();
            assertEquals("Release 4.2", received.get("title").asText());
            assertEquals(77, received.get("data").get("build").asInt());
        }
    }

    @Test
    void a_role_and_an_expiry_can_be_published_too() {
        as("ops").body("{\"recipientRole\":\"notifier\",\"title\":\"Ops only\",\"expiresAt\":\"2099-01-01T00:00:00Z\"}")
                .when().post(server.url() + "/api/notifications")
                .then().statusCode(201)
                .body("recipientRole", equalTo("notifier"))
                .body("expiresAt", equalTo("2099-01-01T00:00:00Z"));
    }

    @Test
    void a_user_without_the_notifier_role_is_refused() {
        as("alice").body("{\"title\":\"x\"}").when().post(server.url() + "/api/notifications")
                .then().statusCode(403).body("error", equalTo("forbidden"));
    }

    @Test
    void each_bad_field_is_named() {
        String[][] cases = {
            {"{}", "title is required"},
            {"{\"title\":\"\"}", "title must be 1 to 200 characters"},
            {"{\"title\":\"" + "x".repeat(201) + "\"}", "title must be 1 to 200 characters"},
            {"{\"title\":\"x\",\"recipient\":42}", "recipient must be a string"},
            {"{\"title\":\"x\",\"link\":\"javascript:alert(1)\"}", "link must start with"},
            {"{\"title\":\"x\",\"colour\":\"red\"}", "unknown field 'colour'"},
            {"[\"title\"]", "the body must be a JSON object"},
            {"{\"title\":\"x\",\"recipient\":\"alice\",\"recipientRole\":\"notifier\"}", "not both"},
            {"{\"title\":\"x\",\"expiresAt\":\"tomorrow\"}", "expiresAt must be an ISO-8601"},
        };
        for (String[] c : cases) {
            as("ops").body(c[0]).when().post(server.url() + "/api/notifications")
                    .then().statusCode(400).body("error", equalTo("invalid_notification")).body("message", containsString(c[1]));
        }
    }

    @Test
    void malformed_json_a_json_bomb_a_huge_body_and_a_form_post_are_refused() {
        as("ops").body("{\"title\": ").when().post(server.url() + "/api/notifications")
                .then().statusCode(400).body("error", equalTo("invalid_json"));
        as("ops").body("[".repeat(100) + "]".repeat(100)).when().post(server.url() + "/api/notifications")
                .then().statusCode(400).body("error", equalTo("invalid_json")).body("message", containsString("nesting"));
        as("ops").body("{\"title\":\"x\",\"body\":\"" + "y".repeat(5000) + "\"}").when().post(server.url() + "/api/notifications")
                .then().statusCode(413).body("error", equalTo("too_large"));
        given().header("Authorization", SseClient.basic("ops")).contentType("application/x-www-form-urlencoded")
                .formParam("title", "x").when().post(server.url() + "/api/notifications")
                .then().statusCode(415).body("error", equalTo("unsupported_media_type"));
    }

    @Test
    void a_cross_site_request_is_refused_even_with_the_users_credentials() {
        as("ops").header("Origin", "https://evil.example").body("{\"title\":\"x\"}")
                .when().post(server.url() + "/api/notifications")
                .then().statusCode(403).body("error", equalTo("forbidden_origin"));
        as("ops").header("Sec-Fetch-Site", "cross-site").body("{\"title\":\"x\"}")
                .when().post(server.url() + "/api/notifications")
                .then().statusCode(403);
    }
}
