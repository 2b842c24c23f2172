package dev.notificationstream.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** What a DBA's plain SQL meets: the table, its constraints and its triggers. */
class SchemaTest {

    private static Database database;
    private static String url;

    @BeforeAll
    static void migrate() throws Exception {
        url = TestDatabase.create();
        database = Database.open(url, 2);
        database.migrate();
    }

    @AfterAll
    static void close() {
        database.close();
    }

    private static long queryLong(Statement sql, String query) throws SQLException {
        try (ResultSet result = sql.executeQuery(query)) {
            result.next();
            return result.getLong(1);
        }
    }

    @Test
    void txid_is_the_writing_transaction_whatever_the_insert_says_and_an_update_cannot_change_it() throws Exception {
        try (Connection connection = TestDatabase.connect(url); Statement sql = connection.createStatement()) {
            connection.setAutoCommit(false);
            long mine = queryLong(sql, "SELECT pg_current_xact_id()::text::bigint");
            long id = queryLong(sql, "INSERT INTO notifications (title, txid) VALUES ('forged', '1'::xid8) RETURNING id");
            assertEquals(mine, queryLong(sql, "SELECT txid::text::bigint FROM notifications WHERE id = " + id));
            connection.commit();
            sql.executeUpdate("UPDATE notifications SET txid = '2'::xid8, title = 'edited' WHERE id = " + id);
            connection.commit();
            assertEquals(mine, queryLong(sql, "SELECT txid::text::bigint FROM notifications WHERE id = " + id));
        }
    }

    @Test
    void a_bad_row_is_refused_naming_its_column_and_nothing_of_the_statement_is_kept() throws Exception {
        try (Connection connection = TestDatabase.connect(url); Statement sql = connection.createStatement()) {
            long before = queryLong(sql, "SELECT count(*) FROM notifications");
            SQLException refused = assertThrows(SQLException.class, () -> sql.executeUpdate(
                    "INSERT INTO notifications (title) VALUES ('fine'), (repeat('x', 201))"));
            assertTrue(refused.getMessage().contains("notifications_title_length"), refused.getMessage());
            SQLException noTitle = assertThrows(SQLException.class, () -> sql.executeUpdate(
                    "INSERT INTO notifications (recipient) VALUES ('alice')"));
            assertTrue(noTitle.getMessage().contains("\"title\""), noTitle.getMessage());
            assertThrows(SQLException.class, () -> sql.executeUpdate("INSERT INTO notifications (id, title) VALUES (1, 'x')"));
            assertEquals(before, queryLong(sql, "SELECT count(*) FROM notifications"));
        }
    }

    @Test
    void a_bulk_insert_wakes_listeners_with_one_payload_less_notification_per_statement() throws Exception {
        try (Connection listener = TestDatabase.connect(url); Statement listen = listener.createStatement();
                Connection writer = TestDatabase.connect(url); Statement sql = writer.createStatement()) {
            listen.execute("LISTEN notifications");
            writer.setAutoCommit(false);
            sql.executeUpdate("INSERT INTO notifications (title) SELECT 'bulk ' || g FROM generate_series(1, 1000) g");
            writer.commit();
            PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(5_000);
            assertEquals(1, received.length);
            assertEquals("", received[0].getParameter());
            // Statement-level, not per row: bit 0 of tgtype is FOR EACH ROW.
            assertEquals(0, queryLong(sql, "SELECT tgtype & 1 FROM pg_trigger WHERE tgname = 'notifications_wake_listeners'"));
        }
    }

    @Test
    void rows_restored_from_a_cluster_further_along_are_detected() throws Exception {
        NotificationStore store = new NotificationStore(database.dataSource());
        try (Connection connection = TestDatabase.connect(url); Statement sql = connection.createStatement()) {
            sql.executeUpdate("INSERT INTO notifications (title) VALUES ('restored')");
            assertFalse(store.txidsAheadOfServer());
            sql.execute("ALTER TABLE notifications DISABLE TRIGGER notifications_force_txid");
            sql.executeUpdate("UPDATE notifications SET txid = '4000000000'::xid8 WHERE title = 'restored'");
            assertTrue(store.txidsAheadOfServer());
            sql.executeUpdate("UPDATE notifications SET txid = pg_current_xact_id() WHERE title = 'restored'");
            sql.execute("ALTER TABLE notifications ENABLE TRIGGER notifications_force_txid");
            assertFalse(store.txidsAheadOfServer(), "the documented fix works");
        }
    }
}
