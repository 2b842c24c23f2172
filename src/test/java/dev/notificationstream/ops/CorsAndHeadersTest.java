package dev.notificationstream.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CorsAndHeadersTest {

    private static final String LISTED = "https://app.example.com";
    @RegisterExtension
    static final TestServer server = TestServer.forClass("CORS_ALLOWED_ORIGINS", LISTED + ", https://admin.example.com");

    @Test
    void a_listed_origin_may_call_with_credentials() {
        given().header("Authorization", SseClient.basic("alice")).header("Origin", LISTED)
                .when().get(server.url() + "/api/config")
                .then().statusCode(200)
                .header("Access-Control-Allow-Origin", LISTED)
                .header("Access-Control-Allow-Credentials", "true")
                .header("Vary", containsString("Origin"));
    }

    @Test
    void a_preflight_from_a_listed_origin_is_answered_without_credentials() {
        given().header("Origin", LISTED).header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type")
                .when().options(server.url() + "/api/notifications")
                .then().statusCode(204)
                .header("Access-Control-Allow-Origin", LISTED)
                .header("Access-Control-Allow-Methods", containsString("POST"))
                .header("Access-Control-Allow-Headers", containsString("Last-Event-ID"));
    }

    @Test
    void any_other_origin_gets_no_cors_headers() {
        given().header("Authorization", SseClient.basic("alice")).header("Origin", "https://evil.example")
                .when().get(server.url() + "/api/config")
                .then().header("Access-Control-Allow-Origin", nullValue());
        given().header("Origin", "https://evil.example").header("Access-Control-Request-Method", "POST")
                .when().options(server.url() + "/api/notifications")
                .then().statusCode(204).header("Access-Control-Allow-Origin", nullValue());
    }

    @Test
    void every_response_carries_the_security_headers_even_errors() {
        for (String path : new String[] {"/api/config", "/nothing-here"}) {
            given().header("Authorization", SseClient.basic("alice")).when().get(server.url() + path)
                    .then()
                    .header("Content-Security-Policy", containsString("script-src 'self'"))
                    .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                    .header("X-Content-Type-Options", equalTo("nosniff"))
                    .header("Referrer-Policy", equalTo("no-referrer"));
        }
        given().when().get(server.url() + "/api/config").then().statusCode(401)
                .header("X-Content-Type-Options", equalTo("nosniff"));
    }
}
