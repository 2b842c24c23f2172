package dev.notificationstream.model;

import java.time.Instant;

/**
 * One row of the notifications table. {@code recipient} null means every user; {@code data} is
 * the jsonb column's text, passed through as JSON; {@code txid} is the writing transaction, which
 * decides which cursors have seen the row.
 */
public record Notification(
        long id,
        String recipient,
        String category,
        String title,
        String body,
        String link,
        String data,
        Instant createdAt,
        long txid) {

    public boolean isBroadcast() {
        return recipient == null;
    }
}
