package dev.notificationstream.auth;

import java.io.Serial;
import java.time.Instant;
import java.util.List;
import org.apache.catalina.realm.GenericPrincipal;

/**
 * A user signed in by a token: Tomcat's own principal (so {@code isUserInRole}, web.xml's
 * constraints and a stream's roles work as for a realm's users) with the token's roles and the
 * moment it expires, which no stream outlives.
 */
public final class TokenPrincipal extends GenericPrincipal {

    @Serial
    private static final long serialVersionUID = 1L;

    private final Instant expiresAt;

    TokenPrincipal(String name, List<String> roles, Instant expiresAt) {
        super(name, roles);
        this.expiresAt = expiresAt;
    }

    public Instant expiresAt() {
        return expiresAt;
    }

    /** Whole seconds until the token expires, 0 once it has. */
    public long secondsLeft() {
        return Math.max(0, expiresAt.getEpochSecond() - Instant.now().getEpochSecond());
    }
}
