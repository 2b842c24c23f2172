package dev.notificationstream.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * Sign-in with signed tokens (JWT) minted by the team's own application: the keys (a shared HS256
 * secret, a JWKS URL for public keys, or both), what a token must say, and where its user and
 * roles are. Token sign-in is on when a key is configured; otherwise only the container's login.
 */
public record TokenSettings(
        byte[] secret,
        URL jwksUrl,
        String issuer,
        String audience,
        int clockSkewSeconds,
        String cookie,
        String userClaim,
        String rolesClaim) {

    /** HS256 needs a key at least as long as its hash (RFC 7518, 3.2). */
    static final int MIN_SECRET_BYTES = 32;

    public static TokenSettings from(Config.Source source) {
        Config.Reader read = new Config.Reader(source);
        String secret = read.text("AUTH_TOKEN_SECRET", null);
        if (secret != null && secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
            throw new IllegalStateException("AUTH_TOKEN_SECRET must be at least " + MIN_SECRET_BYTES
                    + " bytes (HS256); e.g. openssl rand -base64 48");
        }
        String cookie = read.text("AUTH_TOKEN_COOKIE", "ns_token");
        if (!cookie.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalStateException("AUTH_TOKEN_COOKIE must be letters, digits, '_' or '-', not '" + cookie + "'");
        }
        return new TokenSettings(
                secret == null ? null : secret.getBytes(StandardCharsets.UTF_8),
                url(read.text("AUTH_JWKS_URL", null)),
                read.text("AUTH_TOKEN_ISSUER", null),
                read.text("AUTH_TOKEN_AUDIENCE", null),
                read.number("AUTH_CLOCK_SKEW", 30, 0, 600),
                cookie,
                read.text("AUTH_USER_CLAIM", "sub"),
                read.text("AUTH_ROLES_CLAIM", "roles"));
    }

    /** True when a key is configured: requests that carry a token are signed in by it. */
    public boolean enabled() {
        return secret != null || jwksUrl != null;
    }

    private static URL url(String text) {
        if (text == null) {
            return null;
        }
        try {
            URI uri = new URI(text);
            if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
                throw new URISyntaxException(text, "not http(s)");
            }
            return uri.toURL();
        } catch (URISyntaxException | java.net.MalformedURLException | IllegalArgumentException bad) {
            throw new IllegalStateException("AUTH_JWKS_URL must be an http(s) URL, not '" + text + "'");
        }
    }
}
