package dev.notificationstream.db;

import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.NewNotification;
import dev.notificationstream.model.Notification;
import dev.notificationstream.model.Snapshot;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The reads by cursor: the only SQL outside db/migration. Each read is one statement, so the rows
 * and {@code pg_current_snapshot()} come from one snapshot and the returned cursor describes
 * exactly what was read; each also commits a transaction id of its own durably ({@link #DURABLE}),
 * so the cursor survives a crash of PostgreSQL.
 */
public final class NotificationStore {

    private static final String COLUMNS = "id, recipient, recipient_role, category, title, body, link, data::text AS data,"
            + " created_at, expires_at, txid::text::bigint AS txid";

    /**
     * A cursor promises that every transaction below its xmax has ended. After a crash PostgreSQL
     * hands out again the ids of transactions whose records were not yet on disk (ones that rolled
     * back, or wrote no WAL such as a bare {@code pg_notify}): rows committed under a reused id
     * would count as seen and never be delivered. So each read, in the statement that takes its
     * snapshot, writes one WAL record in a transaction id of its own, necessarily at or past the
     * snapshot's xmax, and the statement's commit flushes it (a transaction that wrote WAL commits
     * synchronously; an id alone would commit asynchronously). Recovery then never hands out an id
     * below any cursor. A logical message is the cheapest such record: no table, no lock, nothing
     * to vacuum; any role may write one, at any {@code wal_level}. Cost: one WAL flush per read
     * (docs/scaling.md). It needs {@code synchronous_commit} other than {@code off} (db/README.md).
     */
    static final String DURABLE = "pg_logical_emit_message(true, 'notification-stream', '') AS durable";

    /** Expired rows are neither delivered nor listed. */
    private static final String LIVE = "AND (expires_at IS NULL OR expires_at > now())";

    /** A user's rows: their own, everyone's, their roles'; and whether they read each. */
    private static final String FOR_USER = """
            AND (recipient = ? OR recipient IS NULL AND (recipient_role IS NULL OR recipient_role = ANY (?)))""";
    /** In the same snapshot: the user's read marks committed since the cursor's base, for rows they may show. */
    private static final String MARKS_SINCE = """
            , ARRAY(SELECT notification_id FROM notification_reads
                    WHERE username = ?
                      AND (txid >= pg_snapshot_xmax(?::pg_snapshot) OR txid = ANY (ARRAY(SELECT pg_snapshot_xip(?::pg_snapshot))))
                    ORDER BY notification_id) AS reads""";
    private static final String READ = """
            , EXISTS (SELECT 1 FROM notification_reads r WHERE r.username = ? AND r.notification_id = notifications.id) AS read""";

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
                SELECT s.*, n.*
                FROM (SELECT pg_current_snapshot()::text AS snapshot, %s %s) s
                LEFT JOIN LATERAL (
                    SELECT %s %s FROM notifications
                    WHERE (txid >= pg_snapshot_xmax(?::pg_snapshot) OR txid = ANY (ARRAY(SELECT pg_snapshot_xip(?::pg_snapshot))))
                      %s
                      %s
                      %s
                    ORDER BY id
                    LIMIT ?
                ) n ON true
                ORDER BY n.id
                """.formatted(DURABLE, forUser ? MARKS_SINCE : "", COLUMNS, forUser ? READ : "",
                withinBatch ? """
                        AND txid < pg_snapshot_xmax(?::pg_snapshot)
                        AND txid <> ALL (ARRAY(SELECT pg_snapshot_xip(?::pg_snapshot)))
                        AND id > ?""" : "",
                forUser ? FOR_USER : "", LIVE);
    }

    private static final String AFTER_ALL = after(false, false);
    private static final String AFTER_ALL_IN_BATCH = after(true, false);
    private static final String AFTER_FOR_USER = after(false, true);
    private static final String AFTER_FOR_USER_IN_BATCH = after(true, true);

    /** A fresh start: the user's newest rows (below an id: older ones) and the cursor for "now". */
    private static final String LATEST = """
            SELECT s.*, n.*
            FROM (SELECT pg_current_snapshot()::text AS snapshot, %s) s
            LEFT JOIN LATERAL (
                SELECT %s %s FROM notifications
                WHERE id < ? %s %s
                ORDER BY id DESC
                LIMIT ?
            ) n ON true
            ORDER BY n.id
            """.formatted(DURABLE, COLUMNS, READ, FOR_USER, LIVE);

    private final DataSource dataSource;

    public NotificationStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A pooled connection, for several reads in a row ({@link #after(Connection, Audience, Cursor, int)}, {@link #readsAfter}). */
    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    /** Reads with a pooled connection. {@code audience} null reads every user's rows (the ChangeFeed). */
    public Page after(Audience audience, Cursor from, int limit) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return after(connection, audience, from, limit);
        }
    }

    /**
     * Up to {@code limit} rows the cursor has not seen, oldest first. When more are waiting, the
     * next cursor points inside this snapshot's batch, after the last row returned.
     *
     * @throws CursorAheadException when the cursor comes from a database further along than this one
     */
    public Page after(Connection connection, Audience audience, Cursor from, int limit) throws SQLException {
        Snapshot batch = from.batch();
        String sql = batch == null
                ? (audience == null ? AFTER_ALL : AFTER_FOR_USER)
                : (audience == null ? AFTER_ALL_IN_BATCH : AFTER_FOR_USER_IN_BATCH);
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            int i = 0;
            if (audience != null) {
                query.setString(++i, audience.user());
                query.setString(++i, from.base().toString());
                query.setString(++i, from.base().toString());
                query.setString(++i, audience.user());
            }
            query.setString(++i, from.base().toString());
            query.setString(++i, from.base().toString());
            if (batch != null) {
                query.setString(++i, batch.toString());
                query.setString(++i, batch.toString());
                query.setLong(++i, from.afterId());
            }
            if (audience != null) {
                i = bindAudience(query, i, audience);
            }
            query.setInt(++i, limit + 1);
            Result result = read(query, audience != null, audience != null);
            if (from.newestXmax() > result.snapshot.xmax()) {
                throw new CursorAheadException();
            }
            List<Notification> rows = result.rows;
            if (rows.size() > limit) {
                rows = rows.subList(0, limit);
                Snapshot reading = batch == null ? result.snapshot : batch;
                return new Page(from, rows, Cursor.within(from.base(), reading, rows.getLast().id()), true, result.marks);
            }
            // The batch is done; rows committed since it was read may be waiting: say so.
            return batch == null
                    ? new Page(from, rows, Cursor.at(result.snapshot), false, result.marks)
                    : new Page(from, rows, Cursor.at(batch), true, result.marks);
        }
    }

    /** The user's newest {@code count} rows, oldest first, and a cursor for "now". */
    public Page latest(Audience audience, int count) throws SQLException {
        return latest(audience, count, Long.MAX_VALUE);
    }

    /** The user's newest {@code count} rows with an id below {@code beforeId} (a page's "older"), oldest first. */
    public Page latest(Audience audience, int count, long beforeId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement(LATEST)) {
            query.setString(1, audience.user());
            query.setLong(2, beforeId);
            int i = bindAudience(query, 2, audience);
            query.setInt(++i, count);
            Result result = read(query, true, false);
            return new Page(null, result.rows, Cursor.at(result.snapshot), false, List.of());
        }
    }

    /** The cursor for "now": every committed row counts as seen. */
    public static Cursor now(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT pg_current_snapshot()::text, " + DURABLE);
                ResultSet result = query.executeQuery()) {
            result.next();
            return Cursor.at(Snapshot.parse(result.getString(1)));
        }
    }

    private static int bindAudience(PreparedStatement query, int i, Audience audience) throws SQLException {
        query.setString(++i, audience.user());
        query.setArray(++i, query.getConnection().createArrayOf("text", audience.roles().toArray()));
        return i;
    }

    /** Rows read by users since a snapshot (by anyone: the ChangeFeed), and the snapshot they were read in. */
    public record Reads(Map<String, List<Long>> idsByUser, Snapshot snapshot) {}

    private static final String READS_AFTER = """
            SELECT s.snapshot::text AS snapshot, r.username, r.notification_id
            FROM (SELECT pg_current_snapshot() AS snapshot, %s) s
            LEFT JOIN LATERAL (
                SELECT username, notification_id FROM notification_reads
                WHERE (txid >= pg_snapshot_xmax(?::pg_snapshot) OR txid = ANY (ARRAY(SELECT pg_snapshot_xip(?::pg_snapshot))))
                ORDER BY notification_id
            ) r ON true
            """.formatted(DURABLE);

    /**
     * Every user's read marks committed after {@code since} (the ChangeFeed; a user's own come with
     * their rows, {@link Page#reads()}). Marks are few and idempotent, so they are read whole, not
     * paged, and a mark may come twice.
     */
    public Reads readsAfter(Connection connection, Snapshot since) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(READS_AFTER)) {
            query.setString(1, since.toString());
            query.setString(2, since.toString());
            try (ResultSet result = query.executeQuery()) {
                Snapshot snapshot = null;
                Map<String, List<Long>> ids = new HashMap<>();
                while (result.next()) {
                    snapshot = snapshot != null ? snapshot : Snapshot.parse(result.getString("snapshot"));
                    String username = result.getString("username");
                    if (username != null) {
                        ids.computeIfAbsent(username, u -> new ArrayList<>()).add(result.getLong("notification_id"));
                    }
                }
                return new Reads(ids, snapshot);
            }
        }
    }

    /**
     * Marks one row read for its user; false when the row is not theirs to read, has expired (it is
     * hidden everywhere else too) or does not exist.
     */
    public boolean markRead(Audience audience, long id) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement mark = connection.prepareStatement("""
                        WITH target AS (SELECT id FROM notifications WHERE id = ? %s %s)
                        , marked AS (
                            INSERT INTO notification_reads (username, notification_id) SELECT ?, id FROM target
                            ON CONFLICT DO NOTHING)
                        SELECT count(*) FROM target""".formatted(FOR_USER, LIVE))) {
            mark.setLong(1, id);
            int i = bindAudience(mark, 1, audience);
            mark.setString(++i, audience.user());
            try (ResultSet result = mark.executeQuery()) {
                result.next();
                return result.getLong(1) == 1;
            }
        }
    }

    /**
     * Marks read every unread row of the user's that {@code upTo} had seen; a row committed after it
     * stays unread. Returns how many were marked.
     */
    public int markAllRead(Audience audience, Cursor upTo) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement mark = connection.prepareStatement("""
                        INSERT INTO notification_reads (username, notification_id)
                        SELECT ?, id FROM notifications
                        WHERE pg_visible_in_snapshot(txid, ?::pg_snapshot) %s %s
                        ON CONFLICT DO NOTHING""".formatted(FOR_USER, LIVE))) {
            if (upTo.newestXmax() > now(connection).base().xmax()) {
                throw new CursorAheadException();
            }
            mark.setString(1, audience.user());
            mark.setString(2, upTo.base().toString()); // inside a batch: only what the base saw, to be safe
            bindAudience(mark, 2, audience);
            return mark.executeUpdate();
        }
    }

    /** The user's rows (not expired) they have not marked read. */
    public long unreadCount(Audience audience) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement count = connection.prepareStatement("""
                        SELECT count(*) FROM notifications
                        WHERE TRUE %s %s
                          AND NOT EXISTS (SELECT 1 FROM notification_reads r
                                          WHERE r.username = ? AND r.notification_id = notifications.id)""".formatted(FOR_USER, LIVE))) {
            int i = bindAudience(count, 0, audience);
            count.setString(++i, audience.user());
            try (ResultSet result = count.executeQuery()) {
                result.next();
                return result.getLong(1);
            }
        }
    }

    /**
     * Every role some row has addressed: what {@code isUserInRole} is asked about for a principal
     * that cannot list its roles (http/Identity).
     */
    public Set<String> roles() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT role FROM notification_roles");
                ResultSet result = query.executeQuery()) {
            Set<String> roles = new HashSet<>();
            while (result.next()) {
                roles.add(result.getString(1));
            }
            return Set.copyOf(roles);
        }
    }

    /** Inserts a row as a DBA's INSERT would, and returns it as stored. */
    public Notification insert(NewNotification row) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO notifications (recipient, recipient_role, category, title, body, link, data, expires_at)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?) RETURNING " + COLUMNS)) {
            insert.setString(1, row.recipient());
            insert.setString(2, row.recipientRole());
            insert.setString(3, row.category());
            insert.setString(4, row.title());
            insert.setString(5, row.body());
            insert.setString(6, row.link());
            insert.setString(7, row.data());
            insert.setTimestamp(8, row.expiresAt() == null ? null : Timestamp.from(row.expiresAt()));
            try (ResultSet result = insert.executeQuery()) {
                result.next();
                return notification(result, false);
            }
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

    /** Rows migration V3 set aside for breaking its rules (db/README.md, "Quarantined rows"). */
    public long quarantined() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT count(*) FROM notifications_quarantine");
                ResultSet result = query.executeQuery()) {
            result.next();
            return result.getLong(1);
        }
    }

    private record Result(Snapshot snapshot, List<Notification> rows, List<Long> marks) {}

    /** {@code withRead}: the query selected the user's {@code read} flag. */
    private static Notification notification(ResultSet result, boolean withRead) throws SQLException {
        Timestamp expires = result.getTimestamp("expires_at");
        boolean read = withRead && result.getBoolean("read");
        return new Notification(result.getLong("id"), result.getString("recipient"), result.getString("recipient_role"),
                result.getString("category"), result.getString("title"), result.getString("body"),
                result.getString("link"), result.getString("data"), result.getTimestamp("created_at").toInstant(),
                expires == null ? null : expires.toInstant(), result.getLong("txid"), read);
    }

    /** {@code forUser}: a user's read, with their read flags; {@code withMarks}: with their read marks since the cursor. */
    private Result read(PreparedStatement query, boolean forUser, boolean withMarks) throws SQLException {
        try (ResultSet result = query.executeQuery()) {
            Snapshot snapshot = null;
            List<Notification> rows = new ArrayList<>();
            List<Long> marks = List.of();
            while (result.next()) {
                if (snapshot == null && withMarks) {
                    marks = List.of((Long[]) result.getArray("reads").getArray());
                }
                snapshot = snapshot != null ? snapshot : Snapshot.parse(result.getString("snapshot"));
                result.getLong("id");
                if (!result.wasNull()) {
                    rows.add(notification(result, forUser));
                }
            }
            return new Result(snapshot, rows, marks);
        }
    }
}
