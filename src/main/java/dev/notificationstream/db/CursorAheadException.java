package dev.notificationstream.db;

/** A cursor names transactions this database has not reached: it came from another database. */
public final class CursorAheadException extends IllegalArgumentException {
    public CursorAheadException() {
        super("cursor is ahead of this database (was it issued by another one?)");
    }
}
