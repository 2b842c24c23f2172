package dev.notificationstream.db;

import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import dev.notificationstream.model.Snapshot;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The reads by cursor: the only SQL outside db/migration. Each read is one statement, so the rows
 * and {@code pg_current_snapshot()} come from one snapshot and the returned cursor describes
 * exactly what was read.
 */
public final class NotificationStore {

    private static final String COLUMNS = "id, recipient, category, title, body, link, data::text AS data, created_at, txid::text::bigint AS txid";

    /**
     * Rows after a cursor (see {@link Cursor}). A plain cursor reads {@code unseen(base)}. Inside a
     * batch, the rest of that batch comes first, in id order: {@code unseen(base) AND seen(batch)
     * AND id > afterId}; rows committed after the batch wait for the next read. Finishing one batch
     * before starting the next keeps every page's cursor exact: ids only grow within a batch.
     *
     * <p>{@code = ANY (ARRAY(...))}, not {@code IN (SELECT ...)}: only the array form is an index
     * condition, so both halves of the OR use the txid index (a bitmap OR). With {@code IN} the
     * planner walks the primary key in id order and filters every row: 32 ms per read at 135,000
     * rows instead of 0.1 ms (docs/benchmarks.md, scenario 3).
     */
    private static String after(boolean withinBatch, boolean forUser) {
        return """
                SELECT s.snapshot::text AS snapshot, n.*
                FROM (SELECT pg_current_snapshot() AS snapshot) s
                LEFT JOIN LATERAL (
                    SELECT %s FROM notifications
                    WHERE (txid >= pg_snapshot_xmax(?::pg_snapshot) OR txid = ANY (ARRAY(SELECT pg_snapshot_xip(?::pg_snapshot))))
                      %s
                      %s
                    ORDER BY id
                    LIMIT ?
                ) n ON true
                ORDER BY n.id
                """.formatted(COLUMNS,
                withinBatch ? """
                        AND txid < pg_snapshot_xmax(?::pg_snapshot)
                        AND txid <> ALL (ARRAY(SELECT pg_snapshot_xip(?::pg_snapshot)))
                        AND id > ?""" : "",
                forUser ? FOR_USER : "");
    }

    private static final String FOR_USER = "AND (recipient = ? OR recipient IS NULL)";

    private static final String AFTER_ALL = after(false, false);
    private static final String AFTER_ALL_IN_BATCH = after(true, false);
    private static final String AFTER_FOR_USER = after(false, true);
    private static final String AFTER_FOR_USER_IN_BATCH = after(true, true);

    /** A fresh start: the user's newest rows and the cursor for "now". */
    private static final String LATEST = """
            SELECT s.snapshot::text AS snapshot, n.*
            FROM (SELECT pg_current_snapshot() AS snapshot) s
            LEFT JOIN LATERAL (
                SELECT %s FROM notifications
                WHERE TRUE %s
                ORDER BY id DESC
                LIMIT ?
            ) n ON true
            ORDER BY n.id
            """.formatted(COLUMNS, FOR_USER);

    private final DataSource dataSource;

    public NotificationStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Reads with a pooled connection. {@code user} null reads every user's rows (the ChangeFeed). */
    public Page after(String user, Cursor from, int limit) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return after(connection, user, from, limit);
        }
    }

    /**
     * Up to {@code limit} rows the cursor has not seen, oldest first. When more are waiting, the
     * next cursor points inside this snapshot's batch, after the last row returned.
     *
     * @throws CursorAheadException when the cursor comes from a database further along than this one
     */
    public Page after(Connection connection, String user, Cursor from, int limit) throws SQLException {
        Snapshot batch = from.batch();
        String sql = batch == null
                ? (user == null ? AFTER_ALL : AFTER_FOR_USER)
                : (user == null ? AFTER_ALL_IN_BATCH : AFTER_FOR_USER_IN_BATCH);
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            int i = 0;
            query.setString(++i, from.base().toString());
            query.setString(++i, from.base().toString());
            if (batch != null) {
                query.setString(++i, batch.toString());
                query.setString(++i, batch.toString());
                query.setLong(++i, from.afterId());
            }
            if (user != null) {
                query.setString(++i, user);
            }
            query.setInt(++i, limit + 1);
            Result result = read(query);
            if (from.newestXmax() > result.snapshot.xmax()) {
                throw new CursorAheadException();
            }
            List<Notification> rows = result.rows;
            if (rows.size() > limit) {
                rows = rows.subList(0, limit);
                Snapshot reading = batch == null ? result.snapshot : batch;
                return new Page(from, rows, Cursor.within(from.base(), reading, rows.getLast().id()), true);
            }
            // The batch is done; rows committed since it was read may be waiting: say so.
            return batch == null
                    ? new Page(from, rows, Cursor.at(result.snapshot), false)
                    : new Page(from, rows, Cursor.at(batch), true);
        }
    }

    /** The user's newest {@code count} rows, oldest first, and a cursor for "now". */
    public Page latest(String user, int count) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement(LATEST)) {
            query.setString(1, user);
            query.setInt(2, count);
            Result result = read(query);
            return new Page(null, result.rows, Cursor.at(result.snapshot), false);
        }
    }

    /** The cursor for "now": every committed row counts as seen. */
    public static Cursor now(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT pg_current_snapshot()::text");
                ResultSet result = query.executeQuery()) {
            result.next();
            return Cursor.at(Snapshot.parse(result.getString(1)));
        }
    }

    /**
     * True when stored rows claim transactions this server has not reached: the table was
     * restored from another cluster, and every cursor would count those rows as unseen (db/README.md
     * says the fix).
     */
    public boolean txidsAheadOfServer() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement(
                        "SELECT coalesce(max(txid) > pg_current_xact_id(), false) FROM notifications");
                ResultSet result = query.executeQuery()) {
            result.next();
            return result.getBoolean(1);
        }
    }

    private record Result(Snapshot snapshot, List<Notification> rows) {}

    private static Result read(PreparedStatement query) throws SQLException {
        try (ResultSet result = query.executeQuery()) {
            Snapshot snapshot = null;
            List<Notification> rows = new ArrayList<>();
            while (result.next()) {
                snapshot = snapshot != null ? snapshot : Snapshot.parse(result.getString("snapshot"));
                long id = result.getLong("id");
                if (!result.wasNull()) {
                    Timestamp created = result.getTimestamp("created_at");
                    rows.add(new Notification(id, result.getString("recipient"), result.getString("category"),
                            result.getString("title"), result.getString("body"), result.getString("link"),
                            result.getString("data"), created.toInstant(), result.getLong("txid")));
                }
            }
            return new Result(snapshot, rows);
        }
    }
}
