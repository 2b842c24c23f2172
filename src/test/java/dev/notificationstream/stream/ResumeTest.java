package dev.notificationstream.stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Resumes lose nothing and repeat nothing: SSE, polling, and one cursor moving between them. */
class ResumeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestServer server = TestServer.forClass("FEED_PAGE_SIZE", "100");

    private static long insert(Statement sql, String user, String title) throws Exception {
        try (ResultSet id = sql.executeQuery("INSERT INTO notifications (recipient, title) VALUES ('" + user + "', '" + title + "') RETURNING id")) {
            id.next();
            return id.getLong(1);
        }
    }

    private static long insert(String user, String title) throws Exception {
        try (Connection connection = server.sql(); Statement sql = connection.createStatement()) {
            return insert(sql, user, title);
        }
    }

    private static Set<Long> ids(List<JsonNode> notifications) {
        return notifications.stream().map(n -> n.get("id").asLong()).collect(Collectors.toSet());
    }

    private static JsonPath poll(String cursor, int limit) {
        return given().header("Authorization", SseClient.basic("alice"))
                .queryParam("limit", limit)
                .queryParam("cursor", cursor)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).header("Cache-Control", "no-store")
                .extract().jsonPath();
    }

    @Test
    void a_resume_after_a_cut_gets_exactly_the_missed_rows_even_one_that_took_its_id_first_and_committed_last() throws Exception {
        String cursor;
        long early;
        try (Connection slow = server.sql(); Statement slowSql = slow.createStatement()) {
            try (SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
                alice.awaitCursor(WAIT);
                long first = insert("alice", "one");
                long second = insert("alice", "two");
                assertEquals(Set.of(first, second), ids(alice.notifications(2, WAIT)));

                slow.setAutoCommit(false);
                early = insert(slowSql, "alice", "took its id first"); // not committed yet
                long late = insert("alice", "committed first");
                assertEquals(Set.of(late), ids(alice.notifications(1, WAIT)));
                cursor = alice.lastEventId();
            }
            // Cut. Meanwhile: the early transaction commits, and more rows arrive.
            slow.commit();
        }
        long after = insert("alice", "while away");
        insert("bob", "for bob only");

        try (SseClient resumed = SseClient.open(server.url(), "/events", "alice", cursor)) {
            List<JsonNode> missed = resumed.notifications(2, WAIT);
            assertEquals(Set.of(early, after), ids(missed));
            assertEquals(List.of(), resumed.drain(Duration.ofMillis(700)), "nothing more, nothing twice");
        }
    }

    @Test
    void polling_follows_the_same_cursor_rules() throws Exception {
        String cursor = poll(null, 1).getString("cursor");
        try (Connection slow = server.sql(); Statement slowSql = slow.createStatement()) {
            slow.setAutoCommit(false);
            long early = insert(slowSql, "alice", "poll: took its id first");
            long late = insert("alice", "poll: committed first");
            JsonPath first = poll(cursor, 100);
            assertEquals(List.of(late), first.getList("notifications.id", Long.class));
            slow.commit();
            long after = insert("alice", "poll: after");
            JsonPath second = poll(first.getString("cursor"), 100);
            assertEquals(Set.of(early, after), new HashSet<>(second.getList("notifications.id", Long.class)));
            assertEquals(List.of(), poll(second.getString("cursor"), 100).getList("notifications"));
        }
    }

    @Test
    void polling_pages_through_a_large_batch_with_limit() throws Exception {
        String cursor = poll(null, 1).getString("cursor");
        server.execute("INSERT INTO notifications (recipient, title) SELECT 'alice', 'page ' || g FROM generate_series(1, 250) g");
        List<Long> read = new ArrayList<>();
        JsonPath page;
        do {
            page = poll(cursor, 100);
            read.addAll(page.getList("notifications.id", Long.class));
            cursor = page.getString("cursor");
        } while (page.getBoolean("more"));
        assertEquals(250, read.size());
        long first = read.getFirst();
        assertEquals(LongStream.range(first, first + 250).boxed().toList(), read);
    }

    @Test
    void sse_then_polling_then_sse_with_one_cursor_loses_nothing() throws Exception {
        String cursor;
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            alice.awaitCursor(WAIT);
            insert("alice", "mixed: over sse");
            alice.notifications(1, WAIT);
            cursor = alice.lastEventId();
        }
        long polled = insert("alice", "mixed: polled");
        JsonPath page = poll(cursor, 100);
        assertEquals(List.of(polled), page.getList("notifications.id", Long.class));
        long streamed = insert("alice", "mixed: back on sse");
        try (SseClient alice = SseClient.open(server.url(), "/events?cursor=" + page.getString("cursor"), "alice", null)) {
            assertEquals(Set.of(streamed), ids(alice.notifications(1, WAIT)));
            assertEquals(List.of(), alice.drain(Duration.ofMillis(700)));
        }
    }

    @Test
    void a_client_cut_inside_a_large_batch_resumes_inside_it_not_from_its_start() throws Exception {
        String cursor = null;
        List<Long> beforeCut = new ArrayList<>();
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            alice.awaitCursor(WAIT);
            server.execute("INSERT INTO notifications (recipient, title) SELECT 'alice', 'big ' || g FROM generate_series(1, 1000) g");
            // Read 350 events; the feed pages by 100, so the last id: line seen closes event 300.
            while (beforeCut.size() < 350) {
                SseClient.Event event = alice.next(WAIT);
                assertNotNull(event, "events kept coming");
                if (event.type().equals("notification")) {
                    beforeCut.add(event.json().get("id").asLong());
                    if (event.id() != null) {
                        cursor = event.id();
                    }
                }
            }
        }
        assertTrue(cursor.contains("~"), "a cursor inside the batch: " + cursor);
        long first = beforeCut.getFirst();
        try (SseClient resumed = SseClient.open(server.url(), "/events", "alice", cursor)) {
            List<JsonNode> rest = resumed.notifications(700, WAIT);
            assertEquals(LongStream.range(first + 300, first + 1000).boxed().toList(),
                    rest.stream().map(n -> n.get("id").asLong()).toList());
            assertEquals(List.of(), resumed.drain(Duration.ofMillis(700)));
        }
    }
}
