package dev.notificationstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SseDeliveryTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestServer server = TestServer.forClass();

    @Test
    void a_row_inserted_with_sql_reaches_the_recipients_open_stream_and_nobody_elses() throws Exception {
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", null);
                SseClient bob = SseClient.open(server.url(), "/events", "bob", null)) {
            assertEquals(200, alice.status());
            assertEquals("text/event-stream;charset=UTF-8", alice.response().headers().firstValue("Content-Type").orElseThrow());
            assertEquals("no", alice.response().headers().firstValue("X-Accel-Buffering").orElseThrow());
            alice.awaitCursor(WAIT);
            bob.awaitCursor(WAIT);

            server.execute("INSERT INTO notifications (recipient, category, title, body, link, data) "
                    + "VALUES ('alice', 'billing', 'Invoice ready', 'Line one\nline two', '/invoices/7', '{\"amount\": 12.5}')");
            server.execute("INSERT INTO notifications (title) VALUES ('Maintenance tonight')");

            List<JsonNode> toAlice = alice.notifications(2, WAIT);
            assertEquals("Invoice ready", toAlice.get(0).get("title").asText());
            assertEquals("Line one\nline two", toAlice.get(0).get("body").asText());
            assertEquals("billing", toAlice.get(0).get("category").asText());
            assertEquals("/invoices/7", toAlice.get(0).get("link").asText());
            assertEquals(12.5, toAlice.get(0).get("data").get("amount").asDouble());
            assertTrue(toAlice.get(0).get("createdAt").asText().endsWith("Z"));
            assertEquals("Maintenance tonight", toAlice.get(1).get("title").asText());
            assertTrue(toAlice.get(1).get("recipient").isNull());

            List<JsonNode> toBob = bob.notifications(1, WAIT);
            assertEquals("Maintenance tonight", toBob.get(0).get("title").asText());
            assertEquals(List.of(), bob.drain(Duration.ofMillis(500)), "bob must not see alice's row");
        }
    }

    @Test
    void a_ten_thousand_row_insert_select_reaches_an_open_stream_complete_and_in_order() throws Exception {
        try (SseClient carol = SseClient.open(server.url(), "/events", "bob", null)) {
            carol.awaitCursor(WAIT);
            server.execute("INSERT INTO notifications (recipient, title) "
                    + "SELECT 'bob', 'bulk ' || g FROM generate_series(1, 10000) g");
            List<JsonNode> received = carol.notifications(10_000, Duration.ofSeconds(60));
            long[] ids = received.stream().mapToLong(n -> n.get("id").asLong()).toArray();
            long first = ids[0];
            assertTrue(LongStream.range(0, ids.length).allMatch(i -> ids[(int) i] == first + i), "ids in order, none missing");
            assertEquals("bulk 10000", received.getLast().get("title").asText());
        }
    }

    @Test
    void last_n_on_a_fresh_start_sends_the_newest_rows_first_then_live_ones() throws Exception {
        server.execute("INSERT INTO notifications (recipient, title) SELECT 'alice', 'old ' || g FROM generate_series(1, 5) g");
        try (SseClient alice = SseClient.open(server.url(), "/events?last_n=3", "alice", null)) {
            List<JsonNode> newest = alice.notifications(3, WAIT);
            assertEquals(List.of("old 3", "old 4", "old 5"), newest.stream().map(n -> n.get("title").asText()).toList());
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'live')");
            assertEquals("live", alice.notifications(1, WAIT).getFirst().get("title").asText());
        }
    }

    @Test
    void heartbeats_keep_an_idle_stream_alive() throws Exception {
        try (SseClient alice = SseClient.open(server.url(), "/events", "alice", null)) {
            alice.awaitCursor(WAIT);
            int before = alice.keepAlives();
            Thread.sleep(2_500); // the tests' heartbeat interval is 1 s
            assertTrue(alice.keepAlives() >= before + 2, "heartbeats or cursor frames arrived");
        }
    }
}
