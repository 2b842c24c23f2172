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

    /** Reads a stream to its end and resumes it once from its last id, as a browser would. */
    private static List<JsonNode> resumeAfterEnd(SseClient stream, String user) throws Exception {
        for (SseClient.Event event; (event = stream.next(WAIT)) != null && !event.type().equals("closed"); ) {
            // the server ends the stream: its user was not asked about the new role
        }
        try (SseClient resumed = SseClient.open(server.url(), "/events", user, stream.lastEventId())) {
            return resumed.drain(Duration.ofSeconds(1));
        }
    }

    @Test
    void a_role_addressed_row_reaches_exactly_the_users_in_that_role_live_and_polled() throws Exception {
        try (SseClient ops = SseClient.open(server.url(), "/events", "ops", null);
                SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            ops.awaitCursor(WAIT);
            alice.awaitCursor(WAIT);
            // The first row for a role nobody was asked about ends the open streams; they resume.
            server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('notifier', 'for notifiers')");
            assertEquals(List.of("for notifiers"), titles(resumeAfterEnd(ops, "ops")));
            assertEquals(List.of(), titles(resumeAfterEnd(alice, "alice")));
        }
        // Now the role is known: the next one is delivered live, to ops only.
        try (SseClient ops = SseClient.open(server.url(), "/events", "ops", null);
                SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            ops.awaitCursor(WAIT);
            alice.awaitCursor(WAIT);
            server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('notifier', 'second for notifiers')");
            server.execute("INSERT INTO notifications (title) VALUES ('for everyone')");
            assertEquals(List.of("second for notifiers", "for everyone"), titles(ops.notifications(2, WAIT)));
            assertEquals(List.of("for everyone"), titles(alice.notifications(1, WAIT)));
        }
        assertEquals(List.of("for notifiers", "second for notifiers", "for everyone"), polled("ops"));
        assertEquals(List.of("for everyone"), polled("alice").stream().filter(t -> !t.startsWith("exp")).toList());
    }

    /** A poll without a cursor: its cursor (and the server has read the roles rows address). */
    private static String cursorNow(String user) {
        return given().header("Authorization", SseClient.basic(user))
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).extract().jsonPath().getString("cursor");
    }

    // Polls and stream starts ask the container about the roles the server last read; these two
    // pin that the first row for a role added since is not lost (each test uses a role of its own).

    @Test
    void a_poll_gets_the_first_row_for_a_role_added_after_the_server_read_the_roles() throws Exception {
        String cursor = cursorNow("ops");
        server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('metrics', 'for metrics readers')");
        List<String> titles = given().header("Authorization", SseClient.basic("ops")).queryParam("cursor", cursor)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).extract().jsonPath().getList("notifications.title", String.class);
        assertEquals(List.of("for metrics readers"), titles);
    }

    @Test
    void a_resumed_stream_gets_the_first_row_for_a_role_added_after_the_server_read_the_roles() throws Exception {
        String cursor = cursorNow("alice");
        server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('user', 'for every user')");
        // A start served from the ChangeFeed's recent pages before the feed read the row is ended
        // when the row arrives (its audience was not asked about the role), and gets it on its resume.
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", cursor)) {
            List<JsonNode> rows = alice.drain(Duration.ofSeconds(1));
            if (rows.isEmpty()) {
                try (SseClient resumed = SseClient.open(server.url(), "/events", "alice", alice.lastEventId())) {
                    rows = resumed.drain(Duration.ofSeconds(1));
                }
            }
            assertEquals(List.of("for every user"), titles(rows));
        }
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
    }
}
