package dev.notificationstream.model;

import java.time.Instant;

/**
 * One row of the notifications table. Its audience is one user ({@code recipient}), the users in
 * a role ({@code recipientRole}), or everyone (both null). {@code data} is the jsonb column's text,
 * passed through as JSON; {@code txid} is the writing transaction, which decides which cursors have
 * seen the row; {@code read} is whether the user it was read for has marked it read (false on
 * rows read for everyone, by the ChangeFeed).
 */
public record Notification(
        long id,
        String recipient,
        String recipientRole,
        String category,
        String title,
        String body,
        String link,
        String data,
        Instant createdAt,
        Instant expiresAt,
        long txid,
        boolean read) {

    /** For every user, or every user in a role: not addressed to one user. */
    public boolean isBroadcast() {
        return recipient == null;
    }
}
