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

    /** Rows after a cursor (see {@link Cursor}): {@code unseen(base) AND (id > afterId OR unseen(batch))}. */
    private static final String AFTER = """
            SELECT s.snapshot::text AS snapshot, n.*
            FROM (SELECT pg_current_snapshot() AS snapshot) s
            LEFT JOIN LATERAL (
                SELECT %s FROM notifications
                WHERE (txid >= pg_snapshot_xmax(?::pg_snapshot) OR txid IN (SELECT pg_snapshot_xip(?::pg_snapshot)))
                  AND (id > ? OR txid >= pg_snapshot_xmax(?::pg_snapshot) OR txid IN (SELECT pg_snapshot_xip(?::pg_snapshot)))
                  %s
                ORDER BY id
                LIMIT ?
            ) n ON true
            ORDER BY n.id
            """;

    private static final String FOR_USER = "AND (recipient = ? OR recipient IS NULL)";

    private static final String AFTER_ALL = AFTER.formatted(COLUMNS, "");
    private static final String AFTER_FOR_USER = AFTER.formatted(COLUMNS, FOR_USER);

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
        try (PreparedStatement query = connection.prepareStatement(user == null ? AFTER_ALL : AFTER_FOR_USER)) {
            String base = from.base().toString();
            String batch = from.batchOrBase().toString();
            int i = 0;
            query.setString(++i, base);
            query.setString(++i, base);
            query.setLong(++i, from.batch() == null ? Long.MAX_VALUE : from.afterId());
            query.setString(++i, batch);
            query.setString(++i, batch);
            if (user != null) {
                query.setString(++i, user);
            }
            query.setInt(++i, limit + 1);
            Result result = read(query);
            if (from.newestXmax() > result.snapshot.xmax()) {
                throw new CursorAheadException();
            }
            List<Notification> rows = result.rows;
            if (rows.size() <= limit) {
                return new Page(from, rows, Cursor.at(result.snapshot), false);
            }
            rows = rows.subList(0, limit);
            return new Page(from, rows, Cursor.within(from.base(), result.snapshot, rows.getLast().id()), true);
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
