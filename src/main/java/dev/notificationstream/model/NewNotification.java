package dev.notificationstream.model;

import java.time.Instant;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A notification to publish, checked against the same rules as the table's constraints, so that
 * a bad field is refused with its name before it reaches the database.
 *
 * @param data JSON text, or null
 */
public record NewNotification(String recipient, String recipientRole, String category, String title, String body,
        String link, String data, Instant expiresAt) {

    /**
     * The table's {@code notifications_link_safe} (db/migration/V3), in Java: an absolute http(s)
     * URL, or a path on this site. {@code //host} and {@code /\host} are another site to a browser
     * (it reads a backslash as a slash), and it drops tabs and newlines from a URL before reading
     * it ({@code /<tab>/host}), so no control character anywhere.
     */
    public static final Pattern SAFE_LINK = Pattern.compile("(https?://|/(?![/\\\\]))[^\\x00-\\x1f\\x7f]*");

    /** The servlet API's "any role" and "any authenticated user": a row for them would reach everyone. */
    static final Set<String> RESERVED_ROLES = Set.of("*", "**");

    /** What timestamptz and every client can hold; an expiry outside it is a typo. */
    static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    public NewNotification {
        check("recipient", recipient, 1, 256, false);
        check("recipientRole", recipientRole, 1, 64, false);
        if (recipientRole != null && RESERVED_ROLES.contains(recipientRole)) {
            throw new IllegalArgumentException("recipientRole '" + recipientRole + "' is reserved (it means any role); omit it to reach everyone");
        }
        if (recipient != null && recipientRole != null) {
            throw new IllegalArgumentException("address a recipient or a recipientRole, not both");
        }
        check("category", category, 1, 64, false);
        check("title", title, 1, 200, true);
        check("body", body, 0, 10_000, false);
        check("link", link, 1, 2_048, false);
        if (link != null && !SAFE_LINK.matcher(link).matches()) {
            // Anything else (javascript:, data:, //other.site) would run in, or leave, the page that renders it.
            throw new IllegalArgumentException("link must be an https:// or http:// URL or a path on this site (/..., not //...),"
                    + " without control characters");
        }
        if (data != null && data.length() > 16_384) {
            throw new IllegalArgumentException("data must be at most 16384 characters of JSON");
        }
        if (expiresAt != null && (expiresAt.isBefore(EARLIEST) || expiresAt.isAfter(LATEST))) {
            throw new IllegalArgumentException("expiresAt must be between " + EARLIEST + " and " + LATEST);
        }
    }

    private static void check(String field, String value, int min, int max, boolean required) {
        if (value == null) {
            if (required) {
                throw new IllegalArgumentException(field + " is required");
            }
            return;
        }
        checkText(field, value);
        int length = value.codePointCount(0, value.length());
        if (length < min || length > max) {
            throw new IllegalArgumentException(field + " must be " + (min == 0 ? "at most " + max : min + " to " + max) + " characters");
        }
    }

    /**
     * Text PostgreSQL can store: no U+0000 (text and jsonb refuse it) and no half of a surrogate pair
     * (a JSON escape like \ud800 alone, which UTF-8 cannot encode).
     */
    public static void checkText(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                throw new IllegalArgumentException(field + " must not contain U+0000");
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(field + " holds an unpaired surrogate (\\u" + Integer.toHexString(c) + "): not Unicode text");
            }
        }
    }
}
