package dev.notificationstream.model;

/**
 * A client's position in the notification log: the rows it has seen, exactly.
 *
 * <p>Sequence ids cannot say that: a transaction that took id 10 may commit after the one that took
 * id 11. So a cursor is a PostgreSQL snapshot, {@code base}: the client has every row whose
 * transaction {@code base} saw. Inside a batch too large for one page it also holds the snapshot the
 * batch was read in and the position of the last row delivered, {@code (afterTxid, afterId)}: then
 * the client has, in addition, the rows of {@code batch} unseen by {@code base} at or before that
 * position. Rows are read in {@code (txid, id)} order, the order of the index that makes every read
 * a range scan; the rest of the batch is read first, so that positions only grow until the batch
 * is done.
 *
 * <p>The token is {@code base} alone, or {@code base~batch~afterTxid~afterId}; it is opaque to
 * clients. A token of the earlier form {@code base~batch~afterId} (rows in id order) resumes at the
 * start of its batch: the client drops the rows it has.
 */
public record Cursor(Snapshot base, Snapshot batch, long afterTxid, long afterId) {

    /** Longer than any cursor this service writes, short enough to refuse junk before parsing it. */
    public static final int MAX_LENGTH = 8192;

    public Cursor {
        if (batch == null && (afterId != 0 || afterTxid != 0) || batch != null && (afterId < 0 || afterTxid < 0)) {
            throw new IllegalArgumentException("cursor position is inconsistent");
        }
    }

    /** Every row {@code snapshot} saw has been delivered. */
    public static Cursor at(Snapshot snapshot) {
        return new Cursor(snapshot, null, 0, 0);
    }

    /** Inside a batch: rows of {@code batch} up to {@code (afterTxid, afterId)} were delivered too. */
    public static Cursor within(Snapshot base, Snapshot batch, long afterTxid, long afterId) {
        return new Cursor(base, batch, afterTxid, afterId);
    }

    /**
     * Parses a token from a client.
     *
     * @throws IllegalArgumentException with a message fit for the client when it is not a cursor
     */
    public static Cursor parse(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("cursor is empty");
        }
        if (token.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("cursor is longer than " + MAX_LENGTH + " characters");
        }
        String[] parts = token.strip().split("~", -1);
        try {
            if (parts.length == 1) {
                return at(Snapshot.parse(parts[0]));
            }
            if (parts.length == 4 && parts[2].matches("[0-9]{1,19}") && parts[3].matches("[0-9]{1,19}")) {
                return within(Snapshot.parse(parts[0]), Snapshot.parse(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3]));
            }
            if (parts.length == 3 && parts[2].matches("[0-9]{1,19}")) {
                return within(Snapshot.parse(parts[0]), Snapshot.parse(parts[1]), 0, 0); // the earlier form: the batch again
            }
        } catch (IllegalArgumentException malformed) {
            throw new IllegalArgumentException("cursor is malformed: " + malformed.getMessage());
        }
        throw new IllegalArgumentException("cursor is malformed");
    }

    /** The snapshot that bounds the rest of the current batch; {@code base} when not inside one. */
    public Snapshot batchOrBase() {
        return batch == null ? base : batch;
    }

    /** The newest snapshot this cursor names; a cursor ahead of the database is foreign to it. */
    public long newestXmax() {
        return Math.max(base.xmax(), batchOrBase().xmax());
    }

    @Override
    public String toString() {
        return batch == null ? base.toString() : base + "~" + batch + "~" + afterTxid + "~" + afterId;
    }
}
