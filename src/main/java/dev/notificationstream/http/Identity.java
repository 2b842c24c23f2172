package dev.notificationstream.http;

import dev.notificationstream.model.Audience;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.sql.SQLException;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.catalina.realm.GenericPrincipal;

/**
 * Who the container says the user is: the login name and every role they hold, known in full from
 * the request's start, so a row for a role no row addressed before reaches its members and ends
 * nothing.
 */
public final class Identity {

    /** The roles to ask {@code isUserInRole} about when the principal cannot list its own. */
    @FunctionalInterface
    public interface RolesToAsk {
        Set<String> get() throws SQLException;
    }

    private Identity() {}

    /**
     * The user's roles are the principal's: Tomcat's realms (and the token sign-in) build a
     * {@link GenericPrincipal}, which lists them. Any other principal (another container, a realm
     * with its own user principal such as JAASRealm) is asked about each role in {@code rolesToAsk},
     * the roles rows address as read now: a stream of such a user sees a role added later once it
     * reconnects.
     */
    public static Audience audience(HttpServletRequest request, RolesToAsk rolesToAsk) throws SQLException {
        Principal principal = request.getUserPrincipal();
        Set<String> roles = principal instanceof GenericPrincipal listed
                ? Set.of(listed.getRoles())
                : rolesToAsk.get().stream().filter(request::isUserInRole).collect(Collectors.toUnmodifiableSet());
        return new Audience(request.getRemoteUser(), roles);
    }
}
