import dev.notificationstream.db.Database;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.db.Page;
import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Snapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Set;

/**
 * What a read by cursor, and a read of a user's newest rows, cost at 10 million rows
 * (docs/scaling.md), through the application's own NotificationStore: each kind of read 21 times
 * (-Druns=N), the median, and its plan (EXPLAIN ANALYZE, BUFFERS). See bench/reads/run.sh.
 *
 * <p>The table (filled when empty, migrations first), {@code -Dtable=dense} (the default):
 * 10,000,000 rows in 1,000 transactions of 10,000 (a tenth broadcasts, the rest over 5,000
 * users), then 1,500 one-row transactions. {@code -Dtable=skewed}: 20 rows for the role
 * {@code auditors} first, then 10,000,000 rows in 1,000 transactions, the older half as the dense
 * table (a tenth for everyone), the newer half all for 10,000 users, then 3 rows for
 * {@code newcomer}: the planner, seeing a tenth for everyone, expected the newest rows by id to be
 * found at once, and a user with few rows had the walk of the primary key back to the older half.
 */
public class CursorReads {

    static final int RUNS = Integer.getInteger("runs", 21);
    static final boolean SKEWED = System.getProperty("table", "dense").equals("skewed");

    /** The read of a user's newest rows before migration V6: one walk of the primary key, newest first, with the audience as a filter. */
    static final String LATEST_BEFORE_V6 = """
            EXPLAIN (ANALYZE, BUFFERS)
            SELECT id FROM notifications
            WHERE id < ? AND (recipient = ? OR recipient IS NULL AND (recipient_role IS NULL OR recipient_role = ANY (?)))
              AND (expires_at IS NULL OR expires_at > now())
            ORDER BY id DESC LIMIT ?""";

    public static void main(String[] args) throws Exception {
        String url = args[0];
        try (Database database = Database.open(url, 4)) {
            NotificationStore store = new NotificationStore(database.dataSource());
            try (Connection sql = database.dataSource().getConnection(); Statement statement = sql.createStatement()) {
                if (scalar(statement, "SELECT count(*) FROM pg_tables WHERE tablename = 'notifications'") == 0) {
                    database.migrate(); // else the schema is the one to measure, migrated or not
                }
                try (Connection filler = DriverManager.getConnection(url); Statement filling = filler.createStatement()) {
                    fill(filling); // minutes: no socket timeout, unlike the pool's connections
                }
                System.out.println("rows=" + scalar(statement, "SELECT count(*) FROM notifications") + " server=" + scalar(statement, "SHOW server_version_num"));
                if (SKEWED) {
                    long middle = scalar(statement, "SELECT max(id) / 2 FROM notifications");
                    newest(store, sql, "user42's newest 100 (1,000 of their own, 500 in the newer half)", new Audience("user42", Set.of()), Long.MAX_VALUE);
                    newest(store, sql, "newcomer's newest 100 (3 of their own; their role's 20 and everyone's are in the older half)",
                            new Audience("newcomer", Set.of("auditors")), Long.MAX_VALUE);
                    newest(store, sql, "user42's 100 older than the middle of the table (\"Load older\")", new Audience("user42", Set.of()), middle);
                    return;
                }
                newest(store, sql, "user42's newest 100", new Audience("user42", Set.of()), Long.MAX_VALUE);
                long newest = scalar(statement, "SELECT max(txid)::text::bigint FROM notifications");
                Cursor now = NotificationStore.now(sql);
                Cursor old500 = Cursor.at(new Snapshot(newest - 499, newest - 499, new long[0]));
                Cursor bulkStart = Cursor.at(new Snapshot(newest - 1999, newest - 1999, new long[0])); // before the last 500 bulk transactions
                Audience user = new Audience("user42", Set.of());
                measure(store, sql, "feed, current cursor", null, now);
                measure(store, sql, "feed, cursor 500 transactions old (1,500 one-row transactions ago)", null, old500);
                Cursor inside = store.after(sql, null, bulkStart, 1000).next();
                measure(store, sql, "feed, inside a 10,000-row transaction (a page in its middle)", null, inside);
                measure(store, sql, "user, current cursor", user, now);
                measure(store, sql, "user, cursor 500 transactions old", user, old500);
                measure(store, sql, "user, cursor 2,000 transactions old (500 bulk transactions, 5,000,000 rows, behind)", user, bulkStart);
            }
        }
    }

    private static void fill(Statement statement) throws Exception {
        if (scalar(statement, "SELECT count(*) FROM (SELECT 1 FROM notifications LIMIT 1) t") > 0) {
            return;
        }
        System.out.println("filling the table (a few minutes)");
        statement.execute("SET synchronous_commit = off");
        statement.execute("ALTER TABLE notifications DISABLE TRIGGER USER"); // txid's default is the writing transaction's id all the same
        if (SKEWED) {
            statement.execute("INSERT INTO notifications (recipient_role, title) SELECT 'auditors', 'for auditors ' || g FROM generate_series(1, 20) g");
            // The older half as the dense table (a tenth for everyone), the newer half all for users.
            statement.execute("""
                    DO $$ BEGIN
                      FOR t IN 1..1000 LOOP
                        INSERT INTO notifications (recipient, title, body)
                        SELECT CASE WHEN t <= 500 AND g % 10 = 0 THEN NULL ELSE 'user' || (g % 10000) END, 'bulk ' || g, repeat('x', 100)
                        FROM generate_series(1, 10000) g;
                        COMMIT;
                      END LOOP;
                    END $$""");
            statement.execute("INSERT INTO notifications (recipient, title) SELECT 'newcomer', 'welcome ' || g FROM generate_series(1, 3) g");
            statement.execute("ALTER TABLE notifications ENABLE TRIGGER USER");
            statement.execute("VACUUM ANALYZE notifications");
            return;
        }
        statement.execute("""
                DO $$ BEGIN
                  FOR t IN 1..1000 LOOP
                    INSERT INTO notifications (recipient, title, body)
                    SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE 'user' || (g % 5000) END, 'bulk ' || g, repeat('x', 100)
                    FROM generate_series(1, 10000) g;
                    COMMIT;
                  END LOOP;
                END $$""");
        statement.execute("ALTER TABLE notifications ENABLE TRIGGER USER");
        statement.execute("""
                DO $$ BEGIN
                  FOR t IN 1..1500 LOOP
                    INSERT INTO notifications (recipient, title) VALUES ('user' || (t % 5000), 'single ' || t);
                    COMMIT;
                  END LOOP;
                END $$""");
        statement.execute("VACUUM ANALYZE notifications");
    }

    private static long scalar(Statement statement, String query) throws Exception {
        try (ResultSet result = statement.executeQuery(query)) {
            result.next();
            return result.getLong(1);
        }
    }

    /** {@code store.latest} 21 times, its plan, and the plan of the read before V6 for the same rows. */
    private static void newest(NotificationStore store, Connection sql, String name, Audience audience, long beforeId) throws Exception {
        int limit = 100;
        long[] micros = new long[RUNS];
        Page page = null;
        for (int i = 0; i < RUNS; i++) {
            long started = System.nanoTime();
            page = store.latest(audience, limit, beforeId);
            micros[i] = (System.nanoTime() - started) / 1000;
        }
        Arrays.sort(micros);
        System.out.printf("%n== newest: %s: %d rows, median %.2f ms (min %.2f, max %.2f)%n", name, page.rows().size(),
                micros[RUNS / 2] / 1000.0, micros[0] / 1000.0, micros[RUNS - 1] / 1000.0);
        System.out.println(store.explainLatest(sql, audience, limit, beforeId));
        // Without V6's index, as before it: dropped in a transaction that is rolled back.
        sql.setAutoCommit(false);
        try (Statement drop = sql.createStatement(); PreparedStatement before = sql.prepareStatement(LATEST_BEFORE_V6)) {
            drop.execute("DROP INDEX notifications_everyone_id");
            before.setLong(1, beforeId);
            before.setString(2, audience.user());
            before.setArray(3, sql.createArrayOf("text", audience.roles().toArray()));
            before.setInt(4, limit);
            System.out.println("-- the same read before V6 (its query, without its index):");
            try (ResultSet plan = before.executeQuery()) {
                while (plan.next()) {
                    System.out.println(plan.getString(1));
                }
            }
        } finally {
            sql.rollback();
            sql.setAutoCommit(true);
        }
    }

    private static void measure(NotificationStore store, Connection sql, String name, Audience audience, Cursor from) throws Exception {
        int limit = audience == null ? 1000 : 500;
        long[] micros = new long[RUNS];
        Page page = null;
        for (int i = 0; i < RUNS; i++) {
            long started = System.nanoTime();
            page = store.after(sql, audience, from, limit);
            micros[i] = (System.nanoTime() - started) / 1000;
        }
        Arrays.sort(micros);
        System.out.printf("%n== %s: %d rows, median %.2f ms (min %.2f, max %.2f)%n", name, page.rows().size(),
                micros[RUNS / 2] / 1000.0, micros[0] / 1000.0, micros[RUNS - 1] / 1000.0);
        System.out.println(store.explainAfter(sql, audience, from, limit));
    }
}
