package dev.notificationstream.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENABLE_SSE=false: the stream says where to poll, and polling carries the same data. */
class PollingOnlyTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass("ENABLE_SSE", "false", "NOTIFICATION_POLLING_INTERVAL", "5000");

    @Test
    void the_stream_answers_503_naming_the_polling_endpoint_and_interval() {
        given().header("Authorization", SseClient.basic("alice"))
                .when().get(server.url() + "/events")
                .then().statusCode(503)
                .contentType("application/json")
                .body("error", equalTo("sse_disabled"))
                .body("pollUrl", endsWith("/api/notifications"))
                .body("pollIntervalMs", equalTo(5000));
    }

    @Test
    void the_config_tells_the_frontend_to_poll() {
        given().header("Authorization", SseClient.basic("bob"))
                .when().get(server.url() + "/api/config")
                .then().statusCode(200)
                .body("sseEnabled", equalTo(false))
                .body("pollIntervalMs", equalTo(5000))
                .body("heartbeatSeconds", equalTo(1));
    }

    @Test
    void the_databases_rollout_share_does_not_override_the_master_switch() throws Exception {
        server.execute("SELECT notifications_set_sse_rollout(100, 'everyone, but ENABLE_SSE says no')");
        given().header("Authorization", SseClient.basic("alice"))
                .when().get(server.url() + "/api/config")
                .then().statusCode(200).body("sseEnabled", equalTo(false)).body("sseRolloutPercent", equalTo(0));
        given().header("Authorization", SseClient.basic("alice"))
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).body("sseEnabled", equalTo(false));
        given().header("Authorization", SseClient.basic("alice"))
                .when().get(server.url() + "/events")
                .then().statusCode(503).body("error", equalTo("sse_disabled"));
    }

    @Test
    void polling_works_and_no_listening_connection_is_held() throws Exception {
        String cursor = given().header("Authorization", SseClient.basic("bob"))
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).extract().path("cursor");
        server.execute("INSERT INTO notifications (recipient, title) VALUES ('bob', 'polled'), ('alice', 'not for bob')");
        given().header("Authorization", SseClient.basic("bob")).queryParam("cursor", cursor)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200)
                .body("notifications", hasSize(1))
                .body("notifications[0].title", equalTo("polled"));
        try (Connection connection = server.sql(); Statement sql = connection.createStatement();
                ResultSet listeners = sql.executeQuery("SELECT count(*) FROM pg_stat_activity "
                        + "WHERE application_name = 'notification-stream-listener' AND datname = current_database()")) {
            listeners.next();
            assertEquals(0, listeners.getInt(1));
        }
    }
}
