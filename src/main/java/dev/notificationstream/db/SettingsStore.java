package dev.notificationstream.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import javax.sql.DataSource;

/** The settings that change at run time (db/migration V5): read by the ChangeFeed's connection, set through the pool. */
public final class SettingsStore {

    /** A change as the history records it. */
    public record Change(int value, String reason, String changedBy, Instant changedAt) {}

    private final DataSource pool;

    public SettingsStore(DataSource pool) {
        this.pool = pool;
    }

    /** The SSE rollout share set last, or null while none was set. */
    public static Change sseRollout(Connection connection) throws SQLException {
        try (PreparedStatement read = connection.prepareStatement(
                "SELECT value, reason, changed_by, changed_at FROM notification_settings_history"
                        + " WHERE setting = 'sse_rollout_percent' ORDER BY id DESC LIMIT 1");
                ResultSet row = read.executeQuery()) {
            return row.next() ? new Change(row.getInt(1), row.getString(2), row.getString(3), row.getTimestamp(4).toInstant()) : null;
        }
    }

    /** Sets the share as an operator's SQL call does: recorded, and every instance told. */
    public void setSseRollout(int percent, String reason) throws SQLException {
        try (Connection connection = pool.getConnection();
                PreparedStatement set = connection.prepareStatement("SELECT notifications_set_sse_rollout(?, ?)")) {
            set.setInt(1, percent);
            set.setString(2, reason);
            set.execute();
        }
    }
}
