package dev.notificationstream.model;

import java.util.Set;

/**
 * Whose rows a read returns: the user's own, the broadcasts, and those of the roles the container
 * says the user is in ({@code roles}, asked about each role in {@code askedAbout}).
 */
public record Audience(String user, Set<String> roles, Set<String> askedAbout) {

    public boolean receives(Notification row) {
        if (row.recipient() != null) {
            return row.recipient().equals(user);
        }
        return row.recipientRole() == null || roles.contains(row.recipientRole());
    }

    /** True when the container was not asked about the row's role: the audience must be asked again. */
    public boolean unsureOf(Notification row) {
        return row.recipient() == null && row.recipientRole() != null && !askedAbout.contains(row.recipientRole());
    }
}
