package dev.notificationstream.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** With PUBLIC_ORIGINS set, a state-changing request's Origin is checked against it, not against the Host header. */
class OriginCheckTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass(
            "PUBLIC_ORIGINS", "https://notify.example.com", "CORS_ALLOWED_ORIGINS", "https://app.example.com");
    private static long id;

    @BeforeAll
    static void aRow() throws Exception {
        server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'to mark')");
        id = given().header("Authorization", SseClient.basic("alice")).get(server.url() + "/api/notifications?limit=1")
                .then().extract().jsonPath().getLong("notifications[0].id");
    }

    private static RequestSpecification alice() {
        return given().header("Authorization", SseClient.basic("alice"));
    }

    @Test
    void the_services_own_origin_and_a_listed_one_may_mark() {
        for (String origin : new String[] {"https://notify.example.com", "https://app.example.com"}) {
            alice().header("Origin", origin).post(server.url() + "/api/notifications/" + id + "/read").then().statusCode(204);
        }
    }

    @Test
    void a_page_whose_origin_matches_only_its_own_host_header_is_refused() {
        // A DNS-rebinding page: evil.example now resolves to this server, and the browser sends
        // Host and Origin alike for it.
        alice().header("Host", "evil.example").header("Origin", "http://evil.example")
                .post(server.url() + "/api/notifications/" + id + "/read")
                .then().statusCode(403).body("error", equalTo("forbidden_origin"));
    }
}
