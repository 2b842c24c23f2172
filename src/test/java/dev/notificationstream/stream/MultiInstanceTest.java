package dev.notificationstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The database is the bus: every instance LISTENs, so a row reaches users on whichever instance they are. */
class MultiInstanceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestServer first;
    private static TestServer second;

    @BeforeAll
    static void start() throws Exception {
        first = TestServer.start();
        second = TestServer.startOn(first.databaseUrl());
    }

    @AfterAll
    static void stop() throws Exception {
        second.close();
        first.close();
    }

    private static List<String> titles(List<JsonNode> notifications) {
        return notifications.stream().map(n -> n.get("title").asText()).toList();
    }

    @Test
    void a_row_reaches_its_users_on_every_instance() throws Exception {
        try (SseClient aliceOnFirst = SseClient.open(first.url(), "/events", "alice", null);
                SseClient aliceOnSecond = SseClient.open(second.url(), "/events", "alice", null);
                SseClient bobOnSecond = SseClient.open(second.url(), "/events", "bob", null)) {
            aliceOnFirst.awaitCursor(WAIT);
            aliceOnSecond.awaitCursor(WAIT);
            bobOnSecond.awaitCursor(WAIT);
            first.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'on both')");
            first.execute("INSERT INTO notifications (title) VALUES ('for everyone')");
            assertEquals(List.of("on both", "for everyone"), titles(aliceOnFirst.notifications(2, WAIT)));
            assertEquals(List.of("on both", "for everyone"), titles(aliceOnSecond.notifications(2, WAIT)));
            assertEquals(List.of("for everyone"), titles(bobOnSecond.notifications(1, WAIT)));
        }
    }

    @Test
    void a_client_that_moves_to_another_instance_with_its_last_event_id_loses_nothing() throws Exception {
        String cursor;
        try (SseClient alice = SseClient.open(first.url(), "/events", "alice", null)) {
            alice.awaitCursor(WAIT);
            first.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'seen on the first')");
            alice.notifications(1, WAIT);
            cursor = alice.lastEventId();
        }
        first.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'missed while moving')");
        try (SseClient alice = SseClient.open(second.url(), "/events", "alice", cursor)) {
            assertEquals(List.of("missed while moving"), titles(alice.notifications(1, WAIT)));
            assertEquals(List.of(), alice.drain(Duration.ofMillis(700)));
        }
    }
}
