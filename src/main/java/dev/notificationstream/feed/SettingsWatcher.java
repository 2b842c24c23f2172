package dev.notificationstream.feed;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Settings that change at run time (the SSE rollout share): the SQL that changes one notifies
 * {@link #CHANNEL}, and the ChangeFeed, which LISTENs on it with the connection it already holds,
 * has them read again, after every (re)connect too, so a change made while it was away counts.
 */
public interface SettingsWatcher {

    String CHANNEL = "notification_settings";

    /** Reads the settings again on {@code connection} (the ChangeFeed's, idle) and applies them. */
    void reload(Connection connection) throws SQLException;
}
