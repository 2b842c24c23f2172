package dev.notificationstream.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.notificationstream.model.NewNotification;
import dev.notificationstream.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * Migration V3: the table refuses the links and role names the API refuses, and the rows already
 * there that break those rules are moved aside, not lost.
 */
class SafeRowsTest {

    private static final List<String> LINKS = List.of("/inbox/7", "/", "/a b", "/a/\\b", "https://example.com/x", "http://x",
            "//evil.example/x", "/\\evil.example", "/\t/evil.example", "/\n/evil", "javascript:alert(1)", "data:text/html,x",
            "HTTPS://example.com", "inbox/7", " /x", "/x\u007f");

    private static void migrate(String url, String target) {
        Flyway.configure(SafeRowsTest.class.getClassLoader()).dataSource(url, null, null)
                .locations("classpath:db/migration").target(target).load().migrate();
    }

    private static boolean apiTakes(String link) {
        try {
            new NewNotification(null, null, null, "t", null, link, null, null);
            return true;
        } catch (IllegalArgumentException refused) {
            return false;
        }
    }

    @Test
    void rows_written_before_v3_that_break_its_rules_move_to_the_quarantine_with_their_read_marks() throws Exception {
        String url = TestDatabase.create();
        migrate(url, "2");
        try (Connection connection = TestDatabase.connect(url); Statement sql = connection.createStatement()) {
            sql.execute("""
                    INSERT INTO notifications (title, link, recipient_role) VALUES
                        ('fine', '/inbox/1', NULL), ('off-site', '//evil.example/x', NULL),
                        ('backslash', '/\\evil.example', NULL), ('script', 'javascript:alert(1)', NULL),
                        ('everyone', NULL, '**'), ('any role', NULL, '*'), ('for ops', 'https://example.com', 'ops')""");
            sql.execute("INSERT INTO notification_reads (username, notification_id) SELECT u, id FROM notifications,"
                    + " unnest(ARRAY['alice', 'bob']) u WHERE title IN ('fine', 'off-site')");
        }
        migrate(url, "latest");
        try (Connection connection = TestDatabase.connect(url); Statement sql = connection.createStatement()) {
            assertEquals(List.of("fine", "for ops"), strings(sql, "SELECT title FROM notifications ORDER BY id"));
            assertEquals(List.of("off-site|{alice,bob}|link leaves the site or is not http(s)",
                            "backslash|{}|link leaves the site or is not http(s)",
                            "script|{}|link leaves the site or is not http(s)",
                            "everyone|{}|recipient_role is ** (any role)",
                            "any role|{}|recipient_role is * (any role)"),
                    strings(sql, "SELECT title || '|' || read_by::text || '|' || reason FROM notifications_quarantine ORDER BY id"));
            assertEquals(List.of("alice", "bob"), strings(sql, "SELECT username FROM notification_reads ORDER BY username"),
                    "the rows that stay keep their marks");
        }
    }

    @Test
    void the_table_takes_exactly_the_links_the_api_takes_and_no_reserved_role() throws Exception {
        String url = TestDatabase.create();
        migrate(url, "latest");
        try (Connection connection = TestDatabase.connect(url);
                PreparedStatement insert = connection.prepareStatement("INSERT INTO notifications (title, link) VALUES ('t', ?)")) {
            for (String link : LINKS) {
                boolean stored;
                try {
                    insert.setString(1, link);
                    insert.executeUpdate();
                    stored = true;
                } catch (SQLException refused) {
                    assertEquals("23514", refused.getSQLState(), link);
                    stored = false;
                }
                assertEquals(apiTakes(link), stored, "the API and the table agree on " + link.replace("\t", "<tab>").replace("\n", "<lf>"));
            }
            try (Statement sql = connection.createStatement()) {
                for (String role : List.of("*", "**")) {
                    SQLException refused = assertThrows(SQLException.class,
                            () -> sql.execute("INSERT INTO notifications (title, recipient_role) VALUES ('t', '" + role + "')"));
                    assertEquals("23514", refused.getSQLState());
                }
            }
        }
        assertEquals(List.of("/inbox/7", "/", "/a b", "/a/\\b", "https://example.com/x", "http://x"),
                LINKS.stream().filter(SafeRowsTest::apiTakes).toList());
    }

    private static List<String> strings(Statement sql, String query) throws SQLException {
        List<String> values = new ArrayList<>();
        try (ResultSet result = sql.executeQuery(query)) {
            while (result.next()) {
                values.add(result.getString(1));
            }
        }
        return values;
    }
}
