package dev.notificationstream.stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.OutOfOrderWriters;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stream cut and resumed again and again while writers commit out of id order gets every row
 * (once, but for the rare repeat a lagging feed causes): resumes from the ChangeFeed's recent pages
 * (no query) and from the database (cursors inside a batch: the feed pages by 4, writers commit up
 * to 5 rows at a time) alike.
 */
class ResumeConcurrencyTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass("FEED_PAGE_SIZE", "4");

    @Test
    void a_stream_cut_and_resumed_while_writers_commit_out_of_order_gets_every_row() throws Exception {
        long memoryStartsBefore = startsFromMemory();
        // Only what came before a connection's last id: line counts: the rest it gets again on its resume.
        List<Long> delivered = new ArrayList<>();
        String cursor = readFor(null, Duration.ofMillis(500), delivered); // "now", before any writer starts
        assertTrue(cursor != null, "a fresh stream has a resume point at once");
        long until = System.nanoTime() + 4_000_000_000L;
        List<Thread> writers = OutOfOrderWriters.start(6, until, server::sql,
                () -> List.of("NULL", "'alice'", "'bob'").get(ThreadLocalRandom.current().nextInt(3)));
        long resumes = 0;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (writers.stream().anyMatch(Thread::isAlive)) {
            cursor = readFor(cursor, Duration.ofMillis(random.nextInt(30, 250)), delivered);
            resumes++;
        }
        Set<Long> committed = new HashSet<>();
        try (Connection connection = server.sql(); Statement sql = connection.createStatement();
                ResultSet ids = sql.executeQuery("SELECT id FROM notifications WHERE title LIKE 'load %' AND (recipient IS NULL OR recipient = 'alice')")) {
            while (ids.next()) {
                committed.add(ids.getLong(1));
            }
        }
        // Every writer is done: resume until every committed row has come (or, if some never do, a while).
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!new HashSet<>(delivered).containsAll(committed) && System.nanoTime() < deadline) {
            cursor = readFor(cursor, Duration.ofMillis(500), delivered);
        }
        assertTrue(committed.size() > 100, "the writers wrote a fair amount: " + committed.size());
        assertEquals(committed, new HashSet<>(delivered), "every committed row of alice's, no rolled-back one, none of bob's");
        // At least once on the wire: a row comes again only when a stream started ahead of the feed while
        // the feed was inside a large batch (its pages' cursors then lag the client's). A start from
        // memory that sent no row twice, or a heartbeat that moved a cursor back, would repeat far more.
        int repeated = delivered.size() - committed.size();
        assertTrue(repeated <= committed.size() / 50, repeated + " of " + committed.size() + " rows came twice");
        assertTrue(resumes > 5, "the stream resumed many times: " + resumes);
        assertTrue(startsFromMemory() - memoryStartsBefore > 1, "some starts were served from the ChangeFeed's recent pages");
    }

    @Test
    void after_a_restart_the_old_instance_s_clients_resume_from_the_new_one_s_memory_with_exactly_what_they_missed() throws Exception {
        String cursor;
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            cursor = alice.awaitCursor(Duration.ofSeconds(10));
        }
        server.stop();
        Set<Long> missed = new HashSet<>();
        try (Connection connection = server.sql(); Statement sql = connection.createStatement()) {
            for (String recipient : List.of("NULL", "'alice'", "'bob'", "NULL")) {
                try (ResultSet ids = sql.executeQuery("INSERT INTO notifications (recipient, title) SELECT " + recipient
                        + ", 'while down ' || g FROM generate_series(1, 3) g RETURNING id, recipient")) {
                    while (ids.next()) {
                        if (!"bob".equals(ids.getString(2))) {
                            missed.add(ids.getLong(1));
                        }
                    }
                }
            }
        }
        server.restart();
        long memoryStartsBefore = startsFromMemory();
        int clients = 8; // under the per-user limit of 10 streams
        List<Set<Long>> got = java.util.Collections.synchronizedList(new ArrayList<>());
        String from = cursor;
        List<Thread> storm = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            storm.add(Thread.ofVirtual().start(() -> {
                List<Long> delivered = new ArrayList<>();
                try {
                    readFor(from, Duration.ofMillis(1_500), delivered);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
                assertEquals(delivered.size(), new HashSet<>(delivered).size(), "no row twice"); // the new feed began after them: no batch in progress
                got.add(new HashSet<>(delivered));
            }));
        }
        for (Thread t : storm) {
            t.join();
        }
        assertEquals(clients, got.size());
        got.forEach(rows -> assertEquals(missed, rows, "exactly the rows committed while the server was down"));
        assertEquals(clients, startsFromMemory() - memoryStartsBefore,
                "every resume was served from the new instance's memory, extended back to the old cursor by one read");
    }

    /**
     * Opens a stream from {@code cursor} (null: now), reads for {@code duration}, and adds to
     * {@code delivered} the notifications up to the last id: line; returns that id (or {@code cursor}).
     */
    private static String readFor(String cursor, Duration duration, List<Long> delivered) throws Exception {
        List<Long> sinceId = new ArrayList<>();
        String last = cursor;
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", cursor)) {
            assertEquals(200, alice.status());
            long deadline = System.nanoTime() + duration.toNanos();
            for (long left; (left = deadline - System.nanoTime()) > 0; ) {
                SseClient.Event event = alice.next(Duration.ofNanos(left));
                if (event == null || event.type().equals("closed")) {
                    break;
                }
                if (event.type().equals("notification")) {
                    sinceId.add(event.json().get("id").asLong());
                }
                if (event.id() != null) {
                    delivered.addAll(sinceId);
                    sinceId.clear();
                    last = event.id();
                }
            }
        }
        return last;
    }

    private static long startsFromMemory() {
        String text = given().header("Authorization", SseClient.basic("ops")).when().get(server.url() + "/metrics")
                .then().statusCode(200).extract().asString();
        return text.lines().filter(line -> line.startsWith("notification_stream_sse_starts_from_memory_total "))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1))).sum();
    }
}
