package dev.notificationstream.web;

import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.model.Audience;
import jakarta.servlet.http.HttpServletRequest;
import java.sql.SQLException;
import java.util.Set;
import java.util.stream.Collectors;

/** Who the container says the user is: the login name, and which of the addressed roles they hold. */
final class Identity {

    private Identity() {}

    /** Asks the container about every role some row has addressed (a short list, kept by a trigger). */
    static Audience audience(HttpServletRequest request, NotificationStore store) throws SQLException {
        Set<String> addressed = store.roles();
        Set<String> held = addressed.stream().filter(request::isUserInRole).collect(Collectors.toUnmodifiableSet());
        return new Audience(request.getRemoteUser(), held, Set.copyOf(addressed));
    }
}
