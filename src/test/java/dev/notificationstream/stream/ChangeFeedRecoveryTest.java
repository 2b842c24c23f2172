package dev.notificationstream.stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ChangeFeedRecoveryTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass();

    @Test
    void rows_inserted_while_the_listening_connection_is_down_still_arrive() throws Exception {
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            alice.awaitCursor(Duration.ofSeconds(10));
            try (Connection connection = server.sql(); Statement sql = connection.createStatement()) {
                try (ResultSet killed = sql.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        + "WHERE application_name = 'notification-stream-listener' AND datname = current_database()")) {
                    killed.next();
                    assertEquals(1, killed.getInt(1), "the listener was found and killed");
                }
                sql.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'during the outage')");
                sql.execute("INSERT INTO notifications (title) VALUES ('broadcast during the outage')");
            }
            List<JsonNode> received = alice.notifications(2, Duration.ofSeconds(20));
            assertEquals(List.of("during the outage", "broadcast during the outage"),
                    received.stream().map(n -> n.get("title").asText()).toList());
        }
        // The rows may arrive through the pool reads that bridge the outage, before the LISTEN
        // connection is back (the feed says POLLING meanwhile): wait for it to be UP again.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String state;
        while (!"UP".equals(state = given().when().get(server.url() + "/health/ready").then().extract().path("changeFeed"))
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals("UP", state, "the LISTEN connection is back");
        given().when().get(server.url() + "/health/ready")
                .then().statusCode(200)
                .body("changeFeedReconnects", org.hamcrest.Matchers.greaterThanOrEqualTo(1));
    }
}
