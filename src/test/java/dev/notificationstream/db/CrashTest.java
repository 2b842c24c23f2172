package dev.notificationstream.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.model.Cursor;
import dev.notificationstream.support.OwnCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cursors across a crash of PostgreSQL ({@code pg_ctl stop -m immediate} on a cluster of the
 * test's own). Recovery hands out again the transaction ids whose records never reached the disk:
 * those of transactions that rolled back, or that wrote no WAL (a bare {@code pg_notify}). A
 * cursor that had counted such an id as finished would skip the rows a new transaction commits
 * under it. The WAL writer is slowed down here, so a record reaches the disk only when a commit
 * flushes it, as it would in the instants before a real crash.
 */
class CrashTest {

    private static OwnCluster cluster;

    @BeforeAll
    static void cluster() throws Exception {
        cluster = OwnCluster.start("wal_writer_delay", "10s", "wal_writer_flush_after", "0");
        try (Database database = Database.open(cluster.url("postgres"), 2)) {
            database.migrate();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void a_poll_cursor_taken_after_rollbacks_misses_no_row_committed_after_a_crash() throws Exception {
        for (int round = 0; round < 3; round++) {
            Cursor cursor = cursorPast(sql -> {
                sql.setAutoCommit(false);
                try (Statement statement = sql.createStatement()) {
                    for (int i = 0; i < 30; i++) {
                        statement.execute("INSERT INTO notifications (title) VALUES ('rolled back')");
                        sql.rollback();
                    }
                }
            });
            assertEquals(40, rowsAfterACrash(cursor, "INSERT INTO notifications (title) VALUES ('after the crash')"),
                    "round " + round + ": rows committed after the crash that the cursor read");
        }
    }

    @Test
    void a_cursor_moved_on_by_a_bare_notify_misses_no_row_committed_after_a_crash() throws Exception {
        for (int round = 0; round < 3; round++) {
            Cursor cursor = cursorPast(sql -> {
                try (Statement statement = sql.createStatement()) {
                    for (int i = 0; i < 30; i++) {
                        statement.execute("SELECT pg_notify('notifications', '')"); // an id, and no WAL
                    }
                }
            });
            assertEquals(40, rowsAfterACrash(cursor, "INSERT INTO notifications (title) VALUES ('after the crash')"),
                    "round " + round + ": rows committed after the crash that the cursor read");
        }
    }

    /** What uses up transaction ids whose records may not reach the disk before a crash. */
    @FunctionalInterface
    private interface IdBurner {
        void run(Connection sql) throws SQLException;
    }

    /** A cursor read by the ChangeFeed's query after {@code burn} ran: past the ids it used. */
    private static Cursor cursorPast(IdBurner burn) throws Exception {
        try (Database database = Database.open(cluster.url("postgres"), 2)) {
            NotificationStore store = new NotificationStore(database.dataSource());
            Cursor start = read(store, null).next;
            try (Connection sql = DriverManager.getConnection(cluster.url("postgres"))) {
                burn.run(sql);
            }
            return read(store, start).next;
        }
    }

    /** Crashes the cluster, starts it, commits {@code insert} 40 times, and reads everything after {@code cursor}. */
    private static int rowsAfterACrash(Cursor cursor, String insert) throws Exception {
        cluster.crash();
        cluster.startAgain();
        try (Connection sql = DriverManager.getConnection(cluster.url("postgres")); Statement statement = sql.createStatement()) {
            for (int i = 0; i < 40; i++) {
                statement.execute(insert);
            }
        }
        try (Database database = Database.open(cluster.url("postgres"), 2)) {
            NotificationStore store = new NotificationStore(database.dataSource());
            int rows = 0;
            Read read;
            do {
                read = read(store, cursor);
                rows += read.rows;
                cursor = read.next;
            } while (read.more);
            return rows;
        }
    }

    private record Read(int rows, Cursor next, boolean more) {}

    /** The ChangeFeed's read after {@code from} (null: "now"), in pages of 25. */
    private static Read read(NotificationStore store, Cursor from) throws Exception {
        if (from == null) {
            try (Connection connection = DriverManager.getConnection(cluster.url("postgres"))) {
                return new Read(0, NotificationStore.now(connection), false);
            }
        }
        Page page = store.after(null, from, 25);
        return new Read(page.rows().size(), page.next(), page.more());
    }
}
