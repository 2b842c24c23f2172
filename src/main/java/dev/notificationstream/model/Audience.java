package dev.notificationstream.model;

import java.util.Set;

/** Whose rows a read returns: the user's own, the broadcasts, and those of every role the user holds. */
public record Audience(String user, Set<String> roles) {

    public boolean receives(Notification row) {
        if (row.recipient() != null) {
            return row.recipient().equals(user);
        }
        return row.recipientRole() == null || roles.contains(row.recipientRole());
    }
}
