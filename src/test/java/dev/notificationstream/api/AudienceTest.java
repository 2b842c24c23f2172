package dev.notificationstream.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Rows for a role reach exactly the users in it; expired rows reach no one. */
class AudienceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestServer server = TestServer.forClass();

    private static List<String> titles(List<JsonNode> rows) {
        return rows.stream().map(n -> n.get("title").asText()).toList();
    }

    private static List<String> polled(String user) {
        return given().header("Authorization", SseClient.basic(user)).queryParam("limit", 500)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).extract().jsonPath().getList("notifications.title", String.class);
    }

    @Test
    void the_first_row_for_a_role_reaches_the_open_streams_of_its_members_and_ends_no_stream() throws Exception {
        try (SseClient ops = SseClient.open(server.url(), "/events", "ops", null);
                SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            ops.awaitCursor(WAIT);
            alice.awaitCursor(WAIT);
            // No row has addressed 'notifier' before; ops holds it (its principal says so from the start).
            server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('notifier', 'for notifiers')");
            // A mistyped role nobody holds, as a DBA might insert it.
            server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('x-" + System.nanoTime() + "', 'for no one')");
            server.execute("INSERT INTO notifications (title) VALUES ('for everyone')");
            assertEquals(List.of("for notifiers", "for everyone"), titles(ops.notifications(2, WAIT)));
            assertEquals(List.of("for everyone"), titles(alice.notifications(1, WAIT)));
            // Both streams are still the ones opened above.
            server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('user', 'for every user')");
            assertEquals(List.of("for every user"), titles(ops.notifications(1, WAIT)));
            assertEquals(List.of("for every user"), titles(alice.notifications(1, WAIT)));
        }
        assertEquals(List.of("for notifiers", "for everyone", "for every user"), polled("ops"));
        assertEquals(List.of("for everyone", "for every user"), polled("alice").stream().filter(t -> !t.startsWith("exp")).toList());
    }

    /** A poll without a cursor: its cursor. */
    private static String cursorNow(String user) {
        return given().header("Authorization", SseClient.basic(user))
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).extract().jsonPath().getString("cursor");
    }

    @Test
    void a_poll_gets_the_first_row_for_a_role_added_after_its_last_poll() throws Exception {
        String cursor = cursorNow("ops");
        server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('metrics', 'for metrics readers')");
        List<String> titles = given().header("Authorization", SseClient.basic("ops")).queryParam("cursor", cursor)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).extract().jsonPath().getList("notifications.title", String.class);
        assertEquals(List.of("for metrics readers"), titles);
    }

    @Test
    void a_row_cannot_address_a_user_and_a_role_at_once() {
        org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class, () -> server.execute(
                "INSERT INTO notifications (recipient, recipient_role, title) VALUES ('alice', 'notifier', 'both')"));
    }

    @Test
    void an_expired_row_is_neither_streamed_nor_listed() throws Exception {
        try (SseClient bob = SseClient.open(server.url(), "/events", "bob", null)) {
            bob.awaitCursor(WAIT);
            server.execute("INSERT INTO notifications (recipient, title, expires_at) VALUES "
                    + "('bob', 'expired already', now() - interval '1 minute'), "
                    + "('bob', 'expires soon', now() + interval '2 seconds'), "
                    + "('bob', 'expires later', now() + interval '1 day')");
            assertEquals(List.of("expires soon", "expires later"), titles(bob.notifications(2, WAIT)));
        }
        Thread.sleep(2_500);
        assertEquals(List.of("expires later"), polled("bob").stream().filter(t -> t.startsWith("exp")).toList());
        // Hidden everywhere, so it cannot be marked read either.
        long expired;
        try (var sql = server.sql(); var query = sql.createStatement();
                var result = query.executeQuery("SELECT id FROM notifications WHERE title = 'expires soon'")) {
            result.next();
            expired = result.getLong(1);
        }
        given().header("Authorization", SseClient.basic("bob")).when().post(server.url() + "/api/notifications/" + expired + "/read")
                .then().statusCode(404).body("error", org.hamcrest.Matchers.equalTo("not_found"));
    }
}
