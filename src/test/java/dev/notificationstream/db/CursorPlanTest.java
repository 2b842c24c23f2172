package dev.notificationstream.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import dev.notificationstream.model.Snapshot;
import dev.notificationstream.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every read by cursor, and every read of a user's newest rows, is index range scans that stop
 * after the page, whatever the table's size and the cursor's age: the plans of the application's
 * own reads (EXPLAIN ANALYZE, with buffers) on 300,000 rows in 300 transactions of 1,000, then 500
 * one-row ones, with rows for a role among the oldest. The
 * same reads at 10 million rows are in docs/scaling.md (bench/reads/run.sh). Before, the planner
 * walked the primary key and filtered: "Rows Removed by Filter" in the hundreds of thousands here.
 */
class CursorPlanTest {

    private static final int PAGE = 100;
    private static Database database;
    private static NotificationStore store;
    private static long newest;
    private static long newestId;

    @BeforeAll
    static void fill() throws Exception {
        String url = TestDatabase.create();
        database = Database.open(url, 2);
        database.migrate();
        store = new NotificationStore(database.dataSource());
        try (Connection connection = TestDatabase.connect(url); Statement sql = connection.createStatement()) { // no socket timeout: the fill takes a while
            sql.execute("ALTER TABLE notifications DISABLE TRIGGER USER"); // txid's default is the writing transaction's id all the same
            sql.execute("INSERT INTO notifications (recipient_role, title) SELECT 'ops', 'for ops ' || g FROM generate_series(1, 20) g");
            sql.execute("""
                    DO $$ BEGIN
                      FOR t IN 1..300 LOOP
                        INSERT INTO notifications (recipient, title)
                        SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE 'user' || (g % 500) END, 'bulk ' || g FROM generate_series(1, 1000) g;
                        COMMIT;
                      END LOOP;
                    END $$""");
            sql.execute("ALTER TABLE notifications ENABLE TRIGGER USER");
            sql.execute("""
                    DO $$ BEGIN
                      FOR t IN 1..500 LOOP
                        INSERT INTO notifications (recipient, title) VALUES ('user' || (t % 500), 'single ' || t);
                        COMMIT;
                      END LOOP;
                    END $$""");
            sql.execute("ANALYZE notifications");
            try (ResultSet max = sql.executeQuery("SELECT max(txid)::text::bigint, max(id) FROM notifications")) {
                max.next();
                newest = max.getLong(1);
                newestId = max.getLong(2);
            }
        }
    }

    @AfterAll
    static void close() {
        database.close();
    }

    private static Cursor before(int transactions) {
        long xmax = newest - transactions + 1;
        return Cursor.at(new Snapshot(xmax, xmax, new long[0]));
    }

    @Test
    void the_change_feeds_reads_are_range_scans() throws Exception {
        assertRangeScan(null, before(0), "a current cursor");
        assertRangeScan(null, before(300), "a cursor 300 transactions old");
        try (Connection connection = database.dataSource().getConnection()) {
            Cursor inside = store.after(connection, null, before(600), PAGE).next(); // inside a 1,000-row transaction
            assertTrue(inside.batch() != null);
            assertRangeScan(null, inside, "a cursor inside a large transaction");
        }
    }

    @Test
    void a_users_reads_are_range_scans() throws Exception {
        Audience user = new Audience("user42", Set.of());
        assertRangeScan(user, before(0), "a current cursor");
        assertRangeScan(user, before(300), "a cursor 300 transactions old");
        assertRangeScan(user, before(550), "a cursor 50 large transactions old");
    }

    @Test
    void a_users_newest_rows_are_range_scans() throws Exception {
        long middle = newestId / 2;
        assertNewest(new Audience("user42", Set.of()), Long.MAX_VALUE, "user42's newest rows");
        assertNewest(new Audience("nobody", Set.of()), Long.MAX_VALUE, "a user with no rows of their own");
        assertNewest(new Audience("user42", Set.of("ops", "auditors")), Long.MAX_VALUE, "with roles whose rows are the oldest");
        assertNewest(new Audience("user7", Set.of("ops")), middle, "older than the middle of the table (a page's \"older\")");
        assertNewest(new Audience("user7", Set.of("ops")), 30, "older than the first rows: the role's and a few others");
    }

    /** The plan is range scans, and the rows are the ones a plain query over the whole table finds. */
    private static void assertNewest(Audience audience, long beforeId, String which) throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            assertRangeScan(store.explainLatest(connection, audience, PAGE, beforeId), which + " (newest first)");
        }
        List<Long> expected = new ArrayList<>();
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement plain = connection.prepareStatement("""
                        SELECT id FROM notifications
                        WHERE (recipient = ? OR recipient IS NULL AND (recipient_role IS NULL OR recipient_role = ANY (?))) AND id < ?
                        ORDER BY id DESC LIMIT ?""")) {
            plain.setString(1, audience.user());
            plain.setArray(2, connection.createArrayOf("text", audience.roles().toArray()));
            plain.setLong(3, beforeId);
            plain.setInt(4, PAGE);
            try (ResultSet rows = plain.executeQuery()) {
                while (rows.next()) {
                    expected.add(0, rows.getLong(1));
                }
            }
        }
        assertFalse(expected.isEmpty(), which);
        assertEquals(expected, store.latest(audience, PAGE, beforeId).rows().stream().map(Notification::id).toList(), which);
    }

    private static final Pattern REMOVED = Pattern.compile("Rows Removed by Filter: (\\d+)");
    private static final Pattern BUFFERS = Pattern.compile("Buffers: shared hit=(\\d+)(?: read=(\\d+))?");

    /**
     * The read's plan: no scan of the whole table, few rows filtered away, few pages touched. (A
     * bitmap scan of the index range is fine: the planner takes it when the range is small.)
     */
    private static void assertRangeScan(Audience audience, Cursor from, String which) throws Exception {
        assertRangeScan(plan(audience, from), which + (audience == null ? " (every user's rows)" : " (one user's rows)"));
    }

    private static void assertRangeScan(String plan, String which) {
        String context = which + ":\n" + plan;
        assertFalse(plan.contains("Seq Scan on notifications"), context);
        Matcher removed = REMOVED.matcher(plan);
        while (removed.find()) {
            assertTrue(Long.parseLong(removed.group(1)) <= PAGE, context);
        }
        Matcher buffers = BUFFERS.matcher(plan); // the first is the whole statement's
        assertTrue(buffers.find(), context);
        long pages = Long.parseLong(buffers.group(1)) + (buffers.group(2) == null ? 0 : Long.parseLong(buffers.group(2)));
        assertTrue(pages < 1_000, pages + " pages for " + context); // the table has about 2,500
    }

    private static String plan(Audience audience, Cursor from) throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            return store.explainAfter(connection, audience, from, PAGE);
        }
    }
}
