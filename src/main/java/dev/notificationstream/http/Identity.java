package dev.notificationstream.http;

import dev.notificationstream.model.Audience;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Set;
import java.util.stream.Collectors;

/** Who the container says the user is: the login name, and which of the addressed roles they hold. */
public final class Identity {

    private Identity() {}

    /**
     * Asks the container about every role in {@code addressed}: the store's known roles for polls
     * and stream starts (their reads say when a new role appears), its freshly read roles for the
     * read-state requests, which do not check.
     */
    public static Audience audience(HttpServletRequest request, Set<String> addressed) {
        Set<String> held = addressed.stream().filter(request::isUserInRole).collect(Collectors.toUnmodifiableSet());
        return new Audience(request.getRemoteUser(), held, Set.copyOf(addressed));
    }
}
