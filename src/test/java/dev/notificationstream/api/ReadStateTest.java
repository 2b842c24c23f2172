package dev.notificationstream.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Read state per user, kept in step across devices and instances. */
class ReadStateTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestServer first;
    private static TestServer second;

    @BeforeAll
    static void start() throws Exception {
        first = TestServer.start("POLL_MIN_INTERVAL", "1");
        second = TestServer.startOn(first.databaseUrl(), "POLL_MIN_INTERVAL", "1");
    }

    @AfterAll
    static void stop() throws Exception {
        second.close();
        first.close();
    }

    private static RequestSpecification as(String user) {
        return given().header("Authorization", SseClient.basic(user));
    }

    private static long insert(String sql) throws Exception {
        try (Connection connection = first.sql(); Statement statement = connection.createStatement();
                ResultSet id = statement.executeQuery(sql + " RETURNING id")) {
            id.next();
            return id.getLong(1);
        }
    }

    private static long unread(String user) {
        return as(user).when().get(first.url() + "/api/notifications/unread-count")
                .then().statusCode(200).extract().jsonPath().getLong("unread");
    }

    /** The ids of the stream's next event: read, skipping other events; fails after WAIT. */
    private static List<Long> readIds(SseClient stream) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (SseClient.Event event; (event = stream.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) != null; ) {
            if (event.type().equals("read")) {
                List<Long> ids = new ArrayList<>();
                event.json().get("ids").forEach(n -> ids.add(n.asLong()));
                return ids;
            }
        }
        throw new AssertionError("no event: read within " + WAIT);
    }

    @Test
    void read_on_one_device_reaches_the_users_stream_on_another_instance_and_their_polls() throws Exception {
        String cursor = as("bob").when().get(first.url() + "/api/notifications?limit=1").then().extract().path("cursor");
        long id = insert("INSERT INTO notifications (recipient, title) VALUES ('bob', 'read me')");
        try (SseClient phone = SseClient.open(second.url(), "/events", "bob", null)) {
            phone.awaitCursor(WAIT);
            as("bob").when().post(first.url() + "/api/notifications/" + id + "/read").then().statusCode(204);
            assertEquals(List.of(id), readIds(phone), "the event: read on the other instance's stream");
        }
        JsonPath poll = as("bob").queryParam("cursor", cursor).when().get(second.url() + "/api/notifications")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(id), poll.getList("reads", Long.class));
        assertEquals(List.of(true), poll.getList("notifications.read", Boolean.class));
        // A stream resumed from that cursor replays the row, then says it was read meanwhile.
        try (SseClient resumed = SseClient.open(first.url(), "/events", "bob", cursor)) {
            assertEquals(List.of(id), readIds(resumed), "the event: read on the resumed stream");
        }
    }

    @Test
    void another_users_row_cannot_be_marked_and_says_not_found() throws Exception {
        long id = insert("INSERT INTO notifications (recipient, title) VALUES ('alice', 'private')");
        as("bob").when().post(first.url() + "/api/notifications/" + id + "/read").then().statusCode(404);
        as("bob").when().post(first.url() + "/api/notifications/999999999/read").then().statusCode(404);
        as("alice").header("Origin", "https://evil.example").when().post(first.url() + "/api/notifications/" + id + "/read")
                .then().statusCode(403);
    }

    @Test
    void read_all_up_to_a_cursor_leaves_a_row_that_arrived_after_it_unread() throws Exception {
        insert("INSERT INTO notifications (recipient, title) VALUES ('ops', 'one')");
        insert("INSERT INTO notifications (recipient, title) VALUES ('ops', 'two')");
        String cursor = as("ops").when().get(first.url() + "/api/notifications").then().extract().path("cursor");
        insert("INSERT INTO notifications (recipient, title) VALUES ('ops', 'arrived meanwhile')");
        long before = unread("ops");
        int marked = as("ops").queryParam("cursor", cursor).when().post(first.url() + "/api/notifications/read-all")
                .then().statusCode(200).extract().path("marked");
        assertEquals(before - 1, marked);
        assertEquals(1, unread("ops"));
        as("ops").when().post(first.url() + "/api/notifications/read-all").then().statusCode(400);
    }

    @Test
    void the_unread_count_stays_right_under_concurrent_marks_and_inserts() throws Exception {
        long start = unread("alice");
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ids.add(insert("INSERT INTO notifications (recipient, title) VALUES ('alice', 'c" + i + "')"));
        }
        AtomicInteger inserted = new AtomicInteger();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 30; i++) {
                    insert("INSERT INTO notifications (recipient, title) VALUES ('alice', 'w" + i + "')");
                    inserted.incrementAndGet();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        List<Thread> markers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int shard = t;
            markers.add(Thread.ofVirtual().start(() -> {
                for (int i = shard; i < ids.size(); i += 4) {
                    as("alice").when().post(first.url() + "/api/notifications/" + ids.get(i) + "/read").then().statusCode(204);
                    // and again: marking twice counts once
                    as("alice").when().post(second.url() + "/api/notifications/" + ids.get(i) + "/read").then().statusCode(204);
                }
            }));
        }
        writer.join();
        for (Thread marker : markers) {
            marker.join();
        }
        assertEquals(30, inserted.get());
        assertEquals(start + 30, unread("alice"), "40 inserted and read, 30 inserted unread");
    }
}
