package dev.notificationstream.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
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
            {"{\"title\":\"x\",\"link\":\"javascript:alert(1)\"}", "link must be an https:// or http:// URL or a path on this site"},
            {"{\"title\":\"x\",\"link\":\"//evil.example/x\"}", "link must be an https:// or http:// URL or a path on this site"},
            {"{\"title\":\"x\",\"link\":\"/\\\\evil.example\"}", "link must be an https:// or http:// URL or a path on this site"},
            {"{\"title\":\"x\",\"link\":\"/\\t/evil.example\"}", "link must be an https:// or http:// URL or a path on this site"},
            {"{\"title\":\"x\",\"recipientRole\":\"**\"}", "recipientRole '**' is reserved"},
            {"{\"title\":\"x\",\"recipientRole\":\"*\"}", "recipientRole '*' is reserved"},
            {"{\"title\":\"t\\u0000\"}", "title must not contain U+0000"},
            {"{\"title\":\"t\",\"body\":\"\\ud800\"}", "body holds an unpaired surrogate"},
            {"{\"title\":\"t\",\"data\":{\"a\":\"\\u0000\"}}", "data must not contain U+0000"},
            {"{\"title\":\"t\",\"data\":{\"\\u0000\":1}}", "data must not contain U+0000"},
            {"{\"title\":\"t\",\"data\":[1e999999]}", "data holds a number the database cannot store"},
            {"{\"title\":\"t\",\"data\":{\"n\":1e-999999}}", "data holds a number the database cannot store"},
            {"{\"title\":\"x\",\"expiresAt\":\"-4714-11-23T00:00:00Z\"}", "expiresAt must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"},
            {"{\"title\":\"x\",\"expiresAt\":\"+999999999-12-31T23:59:59Z\"}", "expiresAt must be between"},
            {"{\"title\":\"x\",\"colour\":\"red\"}", "unknown field 'colour'"},
            {"[\"title\"]", "the body must be a JSON object"},
            {"{\"title\":\"x\",\"recipient\":\"alice\",\"recipientRole\":\"notifier\"}", "not both"},
            {"{\"title\":\"x\",\"expiresAt\":\"tomorrow\"}", "expiresAt must be an ISO-8601"},
        };
        refusedAll(cases, "invalid_notification");
    }

    /** Each {body, part of the message} is a 400 with {@code error}, in our words: no parser option or class named. */
    private static void refusedAll(String[][] cases, String error) {
        for (String[] c : cases) {
            as("ops").body(c[0]).when().post(server.url() + "/api/notifications")
                    .then().statusCode(400).body("error", equalTo(error)).body("message", containsString(c[1]))
                    .body("message", not(containsString("Feature"))).body("message", not(containsString("`")));
        }
    }

    @Test
    void malformed_json_a_json_bomb_a_huge_body_and_a_form_post_are_refused() {
        as("ops").body("{\"title\": ").when().post(server.url() + "/api/notifications")
                .then().statusCode(400).body("error", equalTo("invalid_json"));
        as("ops").body("[".repeat(100) + "]".repeat(100)).when().post(server.url() + "/api/notifications")
                .then().statusCode(400).body("error", equalTo("invalid_json")).body("message", containsString("nested deeper than 32"))
                .body("message", not(containsString("StreamReadConstraints")));
        as("ops").body("{\"title\":\"x\",\"body\":\"" + "y".repeat(5000) + "\"}").when().post(server.url() + "/api/notifications")
                .then().statusCode(413).body("error", equalTo("too_large"));
        given().header("Authorization", SseClient.basic("ops")).contentType("application/x-www-form-urlencoded")
                .formParam("title", "x").when().post(server.url() + "/api/notifications")
                .then().statusCode(415).body("error", equalTo("unsupported_media_type"));
    }

    @Test
    void json_is_taken_strictly_and_refusals_say_what_was_wrong_in_our_words() {
        String[][] cases = {
            {"{\"title\":\"t\"}garbage", "malformed (line 1, column 14)"},
            {"{\"title\":\"t\"} {\"title\":\"u\"}", "more text after the JSON value"},
            {"{\"recipient\":\"ops\",\"recipient\":\"bob\",\"title\":\"t\"}", "the field 'recipient' appears twice"},
            {"{\"title\":\"t\",\"data\":{\"n\":NaN}}", "malformed (line 1, column"},
            {"{'title':'t'}", "malformed (line 1, column"},
            {"", "the body is empty"},
        };
        refusedAll(cases, "invalid_json");
        // An overlong encoding of '/' (C0 AF): a lenient decoder would read "t/".
        byte[] overlong = {'{', '"', 't', 'i', 't', 'l', 'e', '"', ':', '"', 't', (byte) 0xC0, (byte) 0xAF, '"', '}'};
        as("ops").body(overlong).when().post(server.url() + "/api/notifications")
                .then().statusCode(400).body("error", equalTo("invalid_json")).body("message", equalTo("the body is not valid UTF-8"));
        for (String type : new String[] {"application/jsonx", "application/json-patch+json", "application/json; charset=utf-16", "text/json"}) {
            given().header("Authorization", SseClient.basic("ops")).contentType(type).body("{\"title\":\"t\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    .when().post(server.url() + "/api/notifications").then().statusCode(415).body("error", equalTo("unsupported_media_type"));
        }
        given().header("Authorization", SseClient.basic("ops")).header("Content-Type", "application/json; charset=\"UTF-8\"")
                .body("{\"title\":\"t\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .when().post(server.url() + "/api/notifications").then().statusCode(201);
    }

    @Test
    void numbers_in_data_are_kept_as_written() {
        as("ops").body("{\"title\":\"t\",\"data\":{\"price\":0.10,\"big\":123456789012345678901234567890.5,\"e\":1e300}}")
                .when().post(server.url() + "/api/notifications")
                .then().statusCode(201)
                .body(containsString("\"price\": 0.10")).body(containsString("123456789012345678901234567890.5"));
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
