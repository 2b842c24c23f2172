package dev.notificationstream.model;

import java.time.Instant;

/**
 * A notification to publish, checked against the same rules as the table's constraints, so that
 * a bad field is refused with its name before it reaches the database.
 *
 * @param data JSON text, or null
 */
public record NewNotification(String recipient, String recipientRole, String category, String title, String body,
        String link, String data, Instant expiresAt) {

    public NewNotification {
        check("recipient", recipient, 1, 256, false);
        check("recipientRole", recipientRole, 1, 64, false);
        if (recipient != null && recipientRole != null) {
            throw new IllegalArgumentException("address a recipient or a recipientRole, not both");
        }
        check("category", category, 1, 64, false);
        check("title", title, 1, 200, true);
        check("body", body, 0, 10_000, false);
        check("link", link, 1, 2_048, false);
        if (link != null && !(link.startsWith("https://") || link.startsWith("http://") || link.startsWith("/"))) {
            // Anything else (javascript:, data:) would run in the page that renders it.
            throw new IllegalArgumentException("link must start with https://, http:// or /");
        }
        if (data != null && data.length() > 16_384) {
            throw new IllegalArgumentException("data must be at most 16384 characters of JSON");
        }
    }

    private static void check(String field, String value, int min, int max, boolean required) {
        if (value == null) {
            if (required) {
                throw new IllegalArgumentException(field + " is required");
            }
            return;
        }
        int length = value.codePointCount(0, value.length());
        if (length < min || length > max) {
            throw new IllegalArgumentException(field + " must be " + (min == 0 ? "at most " + max : min + " to " + max) + " characters");
        }
    }
}
