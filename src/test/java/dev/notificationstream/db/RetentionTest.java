package dev.notificationstream.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The documented retention job deletes old rows and their read state while streams stay open. */
class RetentionTest {

    private static long count(Statement sql, String query) throws Exception {
        try (ResultSet result = sql.executeQuery(query)) {
            result.next();
            return result.getLong(1);
        }
    }

    @Test
    void the_purge_removes_old_rows_in_batches_while_streams_stay_open() throws Exception {
        try (TestServer server = TestServer.start();
                SseClient alice = SseClient.open(server.url(), "/events", "alice", null);
                Connection connection = server.sql();
                Statement sql = connection.createStatement()) {
            alice.awaitCursor(Duration.ofSeconds(10));
            sql.execute("INSERT INTO notifications (recipient, title, created_at) "
                    + "SELECT 'alice', 'old ' || g, now() - interval '100 days' FROM generate_series(1, 25) g");
            sql.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'recent')");
            sql.execute("INSERT INTO notification_reads (username, notification_id) SELECT 'alice', id FROM notifications");
            assertEquals(26, alice.notifications(26, Duration.ofSeconds(10)).size());

            sql.execute("CALL notifications_purge(interval '90 days', 10)"); // three batches: 10, 10, 5

            assertEquals(1, count(sql, "SELECT count(*) FROM notifications"));
            assertEquals(1, count(sql, "SELECT count(*) FROM notification_reads"), "read state went with its rows");
            sql.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'after the purge')");
            assertEquals(List.of("after the purge"),
                    alice.notifications(1, Duration.ofSeconds(10)).stream().map(n -> n.get("title").asText()).toList());
        }
    }
}
