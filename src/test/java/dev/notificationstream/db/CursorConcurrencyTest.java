package dev.notificationstream.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import dev.notificationstream.support.OutOfOrderWriters;
import dev.notificationstream.support.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cursor's promise under the load that breaks "id > last id": concurrent writers whose
 * commits land out of id order, some rolled back, while a reader pages through with cursors.
 */
class CursorConcurrencyTest {

    private static Database database;
    private static NotificationStore store;
    private static String url;

    @BeforeAll
    static void migrate() throws Exception {
        url = TestDatabase.create();
        database = Database.open(url, 4);
        database.migrate();
        store = new NotificationStore(database.dataSource());
    }

    @AfterAll
    static void close() {
        database.close();
    }

    @Test
    void a_reader_paging_by_cursor_sees_every_committed_row_once_and_no_rolled_back_row() throws Exception {
        Cursor cursor; // "now", before any writer starts: every row they commit is after it
        try (Connection connection = database.dataSource().getConnection()) {
            cursor = NotificationStore.now(connection);
        }
        long until = System.nanoTime() + 4_000_000_000L;
        List<Thread> writers = OutOfOrderWriters.start(8, until, () -> TestDatabase.connect(url), () -> "NULL");
        List<Long> read = new ArrayList<>();
        long outOfOrder = 0;
        long maxSeen = 0;
        while (writers.stream().anyMatch(Thread::isAlive)) {
            Page page = store.after(null, cursor, 7); // small pages: many cursors inside batches
            for (Notification row : page.rows()) {
                read.add(row.id());
                outOfOrder += row.id() < maxSeen ? 1 : 0;
                maxSeen = Math.max(maxSeen, row.id());
            }
            cursor = page.next();
            Thread.sleep(page.more() ? 0 : 10);
        }
        Page page;
        do {
            page = store.after(null, cursor, 7);
            page.rows().forEach(row -> read.add(row.id()));
            cursor = page.next();
        } while (page.more() || !page.rows().isEmpty());

        Set<Long> committed = new HashSet<>();
        try (Connection connection = TestDatabase.connect(url); Statement sql = connection.createStatement();
                ResultSet ids = sql.executeQuery("SELECT id FROM notifications")) {
            while (ids.next()) {
                committed.add(ids.getLong(1));
            }
        }
        assertTrue(committed.size() > 200, "the writers wrote a fair amount: " + committed.size());
        assertEquals(read.size(), new HashSet<>(read).size(), "no row read twice");
        assertEquals(committed, new HashSet<>(read), "every committed row read, no rolled-back one");
        assertTrue(outOfOrder > 0, "commits really landed out of id order, which 'id > last' would have lost");
    }
}
