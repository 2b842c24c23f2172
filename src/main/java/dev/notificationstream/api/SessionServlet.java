package dev.notificationstream.api;

import dev.notificationstream.auth.TokenPrincipal;
import dev.notificationstream.http.Json;
import dev.notificationstream.http.RequestGuard;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The sign-in, as the page sees it. {@code GET /api/session}: who is signed in, for the page to
 * show. {@code POST /api/session} turns the request's Bearer token into the AUTH_TOKEN_COOKIE
 * cookie, for {@code EventSource}, which cannot send headers: {@code HttpOnly}, {@code
 * SameSite=Lax}, {@code Secure} (unless on plain localhost), for this service's origin, until the
 * token expires. {@code DELETE /api/session} removes it, signed in or not (an expired cookie
 * included): 204. HTTP BASIC has no sign-out: the browser keeps those credentials until it quits
 * and sends them unasked, so to a request that carries them DELETE answers 409 (the page says so).
 */
public final class SessionServlet extends HttpServlet {

    private static final Logger LOG = Logger.getLogger(SessionServlet.class.getName());
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final String cookie;
    private final RequestGuard guard;

    public SessionServlet(String cookie, RequestGuard guard) {
        this.cookie = cookie;
        this.guard = guard;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        Json.send(response, 200, Map.of("user", request.getRemoteUser()));
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!allowed(request, response)) {
            return;
        }
        String authorization = request.getHeader("Authorization");
        if (!(request.getUserPrincipal() instanceof TokenPrincipal principal)
                || authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            Json.error(response, 400, "bearer_required", "send the token to turn into a cookie as Authorization: Bearer <token>");
            return;
        }
        // The module signed this request in with exactly this header's token.
        long maxAge = principal.secondsLeft();
        response.addCookie(cookie(request, authorization.substring(7).strip(), maxAge));
        LOG.fine(() -> "session cookie set user=" + principal.getName() + " remote=" + request.getRemoteAddr() + " maxAge=" + maxAge);
        Json.send(response, 200, Map.of("user", principal.getName(), "exp", principal.expiresAt().getEpochSecond(), "cookie", cookie));
    }

    @Override
    protected void doDelete(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!allowed(request, response)) {
            return;
        }
        response.addCookie(cookie(request, "", 0));
        String authorization = request.getHeader("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            // The cookie is gone, but the browser will go on sending these: say so (the inbox tells the user).
            Json.error(response, 409, "basic_sign_in",
                    "HTTP BASIC has no sign-out: the browser keeps these credentials until it quits");
            return;
        }
        response.setStatus(204);
    }

    private boolean allowed(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            guard.checkOrigin(request);
            return true;
        } catch (RequestGuard.Refused refused) {
            Json.error(response, refused.status, refused.error, refused.getMessage());
            return false;
        }
    }

    private Cookie cookie(HttpServletRequest request, String value, long maxAge) {
        Cookie made = new Cookie(cookie, value);
        made.setPath(request.getContextPath().isEmpty() ? "/" : request.getContextPath());
        made.setMaxAge((int) Math.min(Integer.MAX_VALUE, maxAge));
        made.setHttpOnly(true);
        made.setSecure(request.isSecure() || !LOOPBACK.contains(request.getServerName()));
        made.setAttribute("SameSite", "Lax");
        return made;
    }
}
