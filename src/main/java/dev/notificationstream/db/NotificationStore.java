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
import java.sql.SQLTransientConnectionException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
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
            AND (recipient = :user OR recipient IS NULL AND (recipient_role IS NULL OR recipient_role = ANY (:roles)))""";
    /** In the same snapshot: the user's read marks committed since the cursor's base, for rows they may show. */
    private static final String MARKS_SINCE = """
            , ARRAY(SELECT notification_id FROM notification_reads
                    WHERE username = :user
                      AND (txid >= pg_snapshot_xmax(:base::pg_snapshot) OR txid = ANY (ARRAY(SELECT pg_snapshot_xip(:base::pg_snapshot))))
                    ORDER BY notification_id) AS reads""";
    private static final String READ = """
            , EXISTS (SELECT 1 FROM notification_reads r WHERE r.username = :user AND r.notification_id = notifications.id) AS read""";

    /**
     * Rows after a cursor (see {@link Cursor}), in {@code (txid, id)} order. A plain cursor reads
     * {@code unseen(base)}: the rows of each transaction in {@code xip(base)}, then those at or past
     * {@code xmax(base)}. Inside a batch, the rest of that batch comes first: {@code unseen(base)
     * AND seen(batch) AND (txid, id) > (afterTxid, afterId)}; rows committed after the batch wait
     * for the next read. Finishing one batch before starting the next keeps every page's cursor
     * exact: positions only grow within a batch.
     *
     * <p>Every part is an index range scan that stops after {@code limit} rows, on an index in that
     * order (db/migration V4): {@code (txid, id)} for everyone's rows, {@code (recipient, txid, id)}
     * for a user's own, {@code (txid, id) WHERE recipient IS NULL} for everyone's and the roles'. So a
     * read costs what it returns, whatever the table's size and the cursor's age. A single query over
     * {@code txid >= xmax OR txid = ANY (xip)} in id order left the plan to estimates: the planner
     * walked the primary key and filtered, 75 to 250 ms per read at 1 to 1.5 million rows, and a
     * large batch was sorted whole for every page (docs/scaling.md).
     */
    private static NamedSql after(boolean withinBatch, boolean forUser) {
        String position = withinBatch ? """
                 AND (notifications.txid, notifications.id) > (:after_txid::xid8, :after_id)
                 AND notifications.txid < pg_snapshot_xmax(:batch::pg_snapshot)
                 AND notifications.txid <> ALL (:batch_xip::xid8[])""" : "";
        List<String> audiences = forUser
                ? List.of("recipient = :user", "recipient IS NULL AND (recipient_role IS NULL OR recipient_role = ANY (:roles))")
                : List.of("TRUE");
        String columns = COLUMNS + (forUser ? READ : "");
        List<String> parts = new ArrayList<>();
        for (String audience : audiences) {
            String where = " AND " + audience + " " + position + " " + LIVE;
            parts.add("""
                    (SELECT unseen.* FROM unnest(:base_xip::xid8[]) AS xip(id)
                     CROSS JOIN LATERAL (SELECT %s FROM notifications WHERE notifications.txid = xip.id %s
                                         ORDER BY notifications.txid, notifications.id LIMIT :limit) unseen)""".formatted(columns, where));
            parts.add("""
                    (SELECT %s FROM notifications WHERE notifications.txid >= pg_snapshot_xmax(:base::pg_snapshot) %s
                     ORDER BY notifications.txid, notifications.id LIMIT :limit)""".formatted(columns, where));
        }
        return new NamedSql("""
                SELECT s.*, n.*
                FROM (SELECT pg_current_snapshot()::text AS snapshot, %s %s) s
                LEFT JOIN LATERAL (
                    SELECT * FROM (%s) unseen ORDER BY unseen.txid, unseen.id LIMIT :limit
                ) n ON true
                ORDER BY n.txid, n.id
                """.formatted(DURABLE, forUser ? MARKS_SINCE : "",
                String.join("\nUNION ALL\n", parts)));
    }

    private static final NamedSql AFTER_ALL = after(false, false);
    private static final NamedSql AFTER_ALL_IN_BATCH = after(true, false);
    private static final NamedSql AFTER_FOR_USER = after(false, true);
    private static final NamedSql AFTER_FOR_USER_IN_BATCH = after(true, true);

    /**
     * A fresh start (and a page's "older"): the user's newest rows below an id, and the cursor for
     * "now". One index range scan in id order per audience, each stopping after {@code limit} rows:
     * the user's own on {@code (recipient, id)}, everyone's on V6's {@code (id)} of rows for
     * everyone, each role's on {@code (recipient_role, id)}. One scan over the primary key with the
     * audience as a filter walked back past every other user's rows until it had {@code limit} of
     * this user's: at 10 million rows, 0.2 to 0.9 s for a user with few (docs/scaling.md).
     */
    private static final NamedSql LATEST = new NamedSql("""
            SELECT s.*, n.*
            FROM (SELECT pg_current_snapshot()::text AS snapshot, %1$s) s
            LEFT JOIN LATERAL (
                SELECT newest.*, EXISTS (SELECT 1 FROM notification_reads r
                                         WHERE r.username = :user AND r.notification_id = newest.id) AS read
                FROM ((SELECT %2$s FROM notifications
                       WHERE recipient = :user AND id < :before %3$s ORDER BY id DESC LIMIT :limit)
                      UNION ALL
                      (SELECT %2$s FROM notifications
                       WHERE recipient IS NULL AND recipient_role IS NULL AND id < :before %3$s ORDER BY id DESC LIMIT :limit)
                      UNION ALL
                      (SELECT theirs.* FROM unnest(:roles::text[]) AS role(name)
                       CROSS JOIN LATERAL (SELECT %2$s FROM notifications
                                           WHERE recipient_role = role.name AND id < :before %3$s
                                           ORDER BY id DESC LIMIT :limit) theirs)) newest
                ORDER BY newest.id DESC
                LIMIT :limit
            ) n ON true
            ORDER BY n.id
            """.formatted(DURABLE, COLUMNS, LIVE));

    private final DataSource dataSource;
    private final Semaphore clientReads;
    private final long clientWaitMillis;

    /** With no share for clients' reads: for tools and tests that read alone. */
    public NotificationStore(DataSource dataSource) {
        this(dataSource, Integer.MAX_VALUE, 0);
    }

    /**
     * Clients' reads (a stream's replay, a poll, an unread count) hold at most
     * {@code clientConnections} of the pool's connections at once, and wait their turn in order for
     * at most {@code clientWaitMillis} (then, as for an empty pool, 503). A storm of catch-ups, every
     * client of a restarted instance with an old cursor, would otherwise take every connection, and
     * readiness, read marks, publishing and the feed's reads through the pool would queue behind it
     * and fail: readiness would take the instance out of rotation just when its clients came back.
     */
    public NotificationStore(DataSource dataSource, int clientConnections, long clientWaitMillis) {
        this.dataSource = dataSource;
        this.clientReads = new Semaphore(clientConnections, true);
        this.clientWaitMillis = clientWaitMillis;
    }

    private interface Read<T> {
        T run(Connection connection) throws SQLException;
    }

    /** A read for one client, within their share of the pool. */
    private <T> T forClient(Read<T> read) throws SQLException {
        try {
            if (!clientReads.tryAcquire(clientWaitMillis, TimeUnit.MILLISECONDS)) {
                throw new SQLTransientConnectionException("every connection clients may use is busy (DATABASE_POOL_RESERVE)");
            }
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
            throw new SQLTransientConnectionException("interrupted while waiting for a connection");
        }
        try (Connection connection = dataSource.getConnection()) {
            return read.run(connection);
        } finally {
            clientReads.release();
        }
    }

    /** A pooled connection, for several reads in a row ({@link #after(Connection, Audience, Cursor, int)}, {@link #readsAfter}). */
    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    /** A client's read (a replay's page, a poll), with a pooled connection of their share. */
    public Page after(Audience audience, Cursor from, int limit) throws SQLException {
        return forClient(connection -> after(connection, audience, from, limit));
    }

    /**
     * Up to {@code limit} rows the cursor has not seen, oldest first. When more are waiting, the
     * next cursor points inside this snapshot's batch, after the last row returned.
     *
     * @throws CursorAheadException when the cursor comes from a database further along than this one
     */
    public Page after(Connection connection, Audience audience, Cursor from, int limit) throws SQLException {
        Snapshot batch = from.batch();
        try (PreparedStatement query = afterSql(audience, from).prepare(connection, afterValues(connection, audience, from, limit))) {
            Result result = read(query, audience != null, audience != null);
            if (from.newestXmax() > result.snapshot.xmax()) {
                throw new CursorAheadException();
            }
            List<Notification> rows = result.rows;
            if (rows.size() > limit) {
                rows = rows.subList(0, limit);
                Snapshot reading = batch == null ? result.snapshot : batch;
                Notification last = rows.getLast();
                return new Page(from, rows, Cursor.within(from.base(), reading, last.txid(), last.id()), true, result.marks);
            }
            // The batch is done; rows committed since it was read may be waiting: say so.
            return batch == null
                    ? new Page(from, rows, Cursor.at(result.snapshot), false, result.marks)
                    : new Page(from, rows, Cursor.at(batch), true, result.marks);
        }
    }

    /**
     * The plan of {@link #after(Connection, Audience, Cursor, int)} as it runs (EXPLAIN ANALYZE,
     * with buffers): for the plan checks, CursorPlanTest and bench/reads.
     */
    public String explainAfter(Connection connection, Audience audience, Cursor from, int limit) throws SQLException {
        try (PreparedStatement explain = afterSql(audience, from).explained().prepare(connection, afterValues(connection, audience, from, limit))) {
            return plan(explain);
        }
    }

    private static String plan(PreparedStatement explain) throws SQLException {
        try (ResultSet plan = explain.executeQuery()) {
            StringBuilder text = new StringBuilder();
            while (plan.next()) {
                text.append(plan.getString(1)).append('\n');
            }
            return text.toString();
        }
    }

    private static NamedSql afterSql(Audience audience, Cursor from) {
        return from.batch() == null
                ? (audience == null ? AFTER_ALL : AFTER_FOR_USER)
                : (audience == null ? AFTER_ALL_IN_BATCH : AFTER_FOR_USER_IN_BATCH);
    }

    private static Map<String, Object> afterValues(Connection connection, Audience audience, Cursor from, int limit) throws SQLException {
        Map<String, Object> values = audience == null ? new HashMap<>() : audienceValues(connection, audience);
        values.put("base", from.base().toString());
        values.put("base_xip", xipArray(from.base()));
        values.put("limit", limit + 1);
        if (from.batch() != null) {
            values.put("batch", from.batch().toString());
            values.put("batch_xip", xipArray(from.batch()));
            values.put("after_txid", Long.toString(from.afterTxid()));
            values.put("after_id", from.afterId());
        }
        return values;
    }

    /**
     * A snapshot's in-progress ids as an array literal, bound as a value: the planner then knows how
     * many there are (usually none), where {@code pg_snapshot_xip()} counts as 50. Estimated as 50
     * loops over large transactions, a read of a few pages cost enough to be compiled by JIT first,
     * 70 ms of a 0.1 ms read at 10 million rows.
     */
    private static String xipArray(Snapshot snapshot) {
        return Arrays.stream(snapshot.xip()).mapToObj(Long::toString).collect(Collectors.joining(",", "{", "}"));
    }

    /** The user's newest {@code count} rows, oldest first, and a cursor for "now". */
    public Page latest(Audience audience, int count) throws SQLException {
        return latest(audience, count, Long.MAX_VALUE);
    }

    /** The user's newest {@code count} rows with an id below {@code beforeId} (a page's "older"), oldest first. */
    public Page latest(Audience audience, int count, long beforeId) throws SQLException {
        return forClient(connection -> {
            try (PreparedStatement query = LATEST.prepare(connection, latestValues(connection, audience, count, beforeId))) {
                Result result = read(query, true, false);
                return new Page(null, result.rows, Cursor.at(result.snapshot), false, List.of());
            }
        });
    }

    /** The plan of {@link #latest(Audience, int, long)} as it runs (EXPLAIN ANALYZE, with buffers): for CursorPlanTest and bench/reads. */
    public String explainLatest(Connection connection, Audience audience, int count, long beforeId) throws SQLException {
        try (PreparedStatement explain = LATEST.explained().prepare(connection, latestValues(connection, audience, count, beforeId))) {
            return plan(explain);
        }
    }

    private static Map<String, Object> latestValues(Connection connection, Audience audience, int count, long beforeId) throws SQLException {
        Map<String, Object> values = audienceValues(connection, audience);
        values.put("before", beforeId);
        values.put("limit", count);
        return values;
    }

    /** The cursor for "now": every committed row counts as seen. */
    public static Cursor now(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT pg_current_snapshot()::text, " + DURABLE);
                ResultSet result = query.executeQuery()) {
            result.next();
            return Cursor.at(Snapshot.parse(result.getString(1)));
        }
    }

    /** {@code :user} and {@code :roles} (theirs). */
    private static Map<String, Object> audienceValues(Connection connection, Audience audience) throws SQLException {
        Map<String, Object> values = new HashMap<>();
        values.put("user", audience.user());
        values.put("roles", connection.createArrayOf("text", audience.roles().toArray()));
        return values;
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

    private static final NamedSql MARK_READ = new NamedSql("""
            WITH target AS (SELECT id FROM notifications WHERE id = :id %s %s)
            , marked AS (
                INSERT INTO notification_reads (username, notification_id) SELECT :user, id FROM target
                ON CONFLICT DO NOTHING)
            SELECT count(*) FROM target""".formatted(FOR_USER, LIVE));

    /**
     * Marks one row read for its user; false when the row is not theirs to read, has expired (it is
     * hidden everywhere else too) or does not exist.
     */
    public boolean markRead(Audience audience, long id) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            Map<String, Object> values = audienceValues(connection, audience);
            values.put("id", id);
            try (PreparedStatement mark = MARK_READ.prepare(connection, values); ResultSet result = mark.executeQuery()) {
                result.next();
                return result.getLong(1) == 1;
            }
        }
    }

    private static final NamedSql MARK_ALL_READ = new NamedSql("""
            INSERT INTO notification_reads (username, notification_id)
            SELECT :user, id FROM notifications
            WHERE pg_visible_in_snapshot(txid, :seen::pg_snapshot) %s %s
            ON CONFLICT DO NOTHING""".formatted(FOR_USER, LIVE));

    /**
     * Marks read every unread row of the user's that {@code upTo} had seen; a row committed after it
     * stays unread. Returns how many were marked.
     */
    public int markAllRead(Audience audience, Cursor upTo) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            if (upTo.newestXmax() > now(connection).base().xmax()) {
                throw new CursorAheadException();
            }
            Map<String, Object> values = audienceValues(connection, audience);
            values.put("seen", upTo.base().toString()); // inside a batch: only what the base saw, to be safe
            try (PreparedStatement mark = MARK_ALL_READ.prepare(connection, values)) {
                return mark.executeUpdate();
            }
        }
    }

    private static final NamedSql UNREAD_COUNT = new NamedSql("""
            SELECT count(*) FROM notifications
            WHERE TRUE %s %s
              AND NOT EXISTS (SELECT 1 FROM notification_reads r
                              WHERE r.username = :user AND r.notification_id = notifications.id)""".formatted(FOR_USER, LIVE));

    /** The user's rows (not expired) they have not marked read. */
    public long unreadCount(Audience audience) throws SQLException {
        return forClient(connection -> {
            try (PreparedStatement count = UNREAD_COUNT.prepare(connection, audienceValues(connection, audience));
                    ResultSet result = count.executeQuery()) {
                result.next();
                return result.getLong(1);
            }
        });
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
