package dev.notificationstream.auth;

import dev.notificationstream.config.TokenSettings;
import dev.notificationstream.http.Json;
import jakarta.security.auth.message.AuthException;
import jakarta.security.auth.message.AuthStatus;
import jakarta.security.auth.message.MessageInfo;
import jakarta.security.auth.message.MessagePolicy;
import jakarta.security.auth.message.callback.CallerPrincipalCallback;
import jakarta.security.auth.message.callback.PasswordValidationCallback;
import jakarta.security.auth.message.module.ServerAuthModule;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.UnsupportedCallbackException;

/**
 * Sign-in inside the container (Jakarta Authentication, registered by the application for its own
 * context): a request with a token ({@code Authorization: Bearer}, else the AUTH_TOKEN_COOKIE
 * cookie) is signed in by it; one with {@code Authorization: Basic} by the container's realm, as
 * the BASIC login of web.xml did. Tomcat builds the request's principal from what this module
 * hands it, so {@code getRemoteUser}, {@code isUserInRole} and web.xml's constraints see no
 * difference between the two.
 *
 * <p>A token that fails gets 401 with {@code WWW-Authenticate: Bearer error="invalid_token"}
 * (RFC 6750) and a JSON body, and one log line with the reason (never the token). A bad cookie on
 * a resource that needs no sign-in (the health checks, {@code DELETE /api/session}) is ignored.
 */
public final class TokenAuthModule implements ServerAuthModule, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TokenAuthModule.class.getName());

    /** web.xml's realm-name: what the browser's BASIC prompt and the Bearer challenge name. */
    public static final String REALM = "notification-stream";

    private final TokenVerifier verifier;
    private final String cookie;
    private CallbackHandler container;

    public TokenAuthModule(TokenSettings settings) {
        this.verifier = new TokenVerifier(settings);
        this.cookie = settings.cookie();
    }

    @Override
    public void initialize(MessagePolicy requestPolicy, MessagePolicy responsePolicy, CallbackHandler handler,
            @SuppressWarnings("rawtypes") Map options) {
        this.container = handler;
    }

    @Override
    public Class<?>[] getSupportedMessageTypes() {
        return new Class<?>[] {HttpServletRequest.class, HttpServletResponse.class};
    }

    @Override
    public AuthStatus validateRequest(MessageInfo message, Subject client, Subject service) throws AuthException {
        HttpServletRequest request = (HttpServletRequest) message.getRequestMessage();
        HttpServletResponse response = (HttpServletResponse) message.getResponseMessage();
        boolean mandatory = "true".equals(message.getMap().get("jakarta.security.auth.message.MessagePolicy.isMandatory"));
        Map<String, Object> options = message.getMap();
        options.put("jakarta.servlet.http.registerSession", "false"); // every request brings its credentials
        try {
            String authorization = request.getHeader("Authorization");
            if (authorization != null && scheme(authorization, "Bearer")) {
                return signIn(request, response, client, options, authorization.substring(7).strip(), "header", true);
            }
            if (authorization != null && scheme(authorization, "Basic")) {
                return basic(request, response, client, options, authorization.substring(6).strip(), mandatory);
            }
            String token = cookie(request);
            if (token != null) {
                return signIn(request, response, client, options, token, "cookie", mandatory);
            }
            return mandatory ? challenge(response) : AuthStatus.SUCCESS;
        } catch (IOException | RuntimeException failed) {
            LOG.log(Level.WARNING, "sign-in failed remote=" + request.getRemoteAddr(), failed);
            throw new AuthException("sign-in failed", failed);
        }
    }

    private AuthStatus signIn(HttpServletRequest request, HttpServletResponse response, Subject client,
            Map<String, Object> options, String token, String source, boolean refuse) throws IOException {
        TokenPrincipal principal;
        try {
            principal = verifier.verify(token);
        } catch (TokenVerifier.Rejected rejected) {
            LOG.info(() -> "token refused user=" + (rejected.user == null ? "-" : rejected.user) + " remote="
                    + request.getRemoteAddr() + " reason=" + rejected.getMessage() + " source=" + source
                    + " uri=" + request.getRequestURI());
            if (!refuse) {
                return AuthStatus.SUCCESS; // anonymous, where that is allowed
            }
            refuse(response, rejected.error, rejected.error.equals("token_expired") ? null : rejected.getMessage());
            return AuthStatus.SEND_FAILURE;
        } catch (TokenVerifier.KeysUnavailable unavailable) {
            LOG.warning(() -> "token not checked remote=" + request.getRemoteAddr() + " reason=" + unavailable.getMessage()
                    + " source=" + source + " uri=" + request.getRequestURI());
            if (!refuse) {
                return AuthStatus.SUCCESS; // a health check or a static file need not wait for the keys
            }
            Json.refuse(response, 503, 5, "auth_unavailable", "the keys that sign tokens cannot be fetched right now; try again shortly");
            return AuthStatus.SEND_FAILURE;
        }
        handle(new CallerPrincipalCallback(client, principal));
        options.put("jakarta.servlet.http.authType", "BEARER");
        return AuthStatus.SUCCESS;
    }

    /**
     * The answer to a bad token (RFC 6750, 3.1): 401, {@code WWW-Authenticate: Bearer
     * error="invalid_token"}, and our JSON error ({@code token_expired} or {@code invalid_token}).
     * {@code reason}: why an invalid token was refused; null for an expired one.
     */
    public static void refuse(HttpServletResponse response, String error, String reason) throws IOException {
        String description = reason == null ? "the token expired" : "the token was refused: " + reason;
        response.setHeader("WWW-Authenticate", "Bearer realm=\"" + REALM + "\", error=\"invalid_token\", error_description=\""
                + description.replaceAll("[^ !#-\\[\\]-~]", "?") + "\"");
        Json.error(response, 401, error, reason == null ? "the token expired; sign in again (a fresh token)" : description);
    }

    /** Checks a BASIC login against the container's realm, as Tomcat's BasicAuthenticator would. */
    private AuthStatus basic(HttpServletRequest request, HttpServletResponse response, Subject client,
            Map<String, Object> options, String encoded, boolean mandatory) throws IOException {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.ISO_8859_1);
        } catch (IllegalArgumentException notBase64) {
            decoded = "";
        }
        int colon = decoded.indexOf(':');
        if (colon > 0) {
            PasswordValidationCallback password = new PasswordValidationCallback(client, decoded.substring(0, colon),
                    decoded.substring(colon + 1).toCharArray());
            handle(password); // the realm decides; the callback hands Tomcat the realm's principal
            if (password.getResult()) {
                options.put("jakarta.servlet.http.authType", "BASIC");
                return AuthStatus.SUCCESS;
            }
        }
        return mandatory ? challenge(response) : AuthStatus.SUCCESS;
    }

    /**
     * No credentials (or a wrong password) where some are needed: the same 401 as Tomcat's BASIC
     * authenticator sends. No Bearer challenge beside it: a browser facing two may pick either.
     */
    private AuthStatus challenge(HttpServletResponse response) throws IOException {
        response.setHeader("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
        response.sendError(401); // the error page answers in JSON
        return AuthStatus.SEND_CONTINUE;
    }

    private String cookie(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        if (cookies != null) {
            for (Cookie each : cookies) {
                if (each.getName().equals(cookie) && !each.getValue().isEmpty()) {
                    return each.getValue();
                }
            }
        }
        return null;
    }

    private static boolean scheme(String authorization, String scheme) {
        return authorization.regionMatches(true, 0, scheme + " ", 0, scheme.length() + 1);
    }

    private void handle(Callback callback) throws IOException {
        try {
            container.handle(new Callback[] {callback});
        } catch (UnsupportedCallbackException unsupported) {
            throw new IOException("the container does not take " + callback.getClass().getSimpleName(), unsupported);
        }
    }

    @Override
    public AuthStatus secureResponse(MessageInfo message, Subject service) {
        return AuthStatus.SEND_SUCCESS;
    }

    @Override
    public void cleanSubject(MessageInfo message, Subject subject) {
        if (subject != null) {
            subject.getPrincipals().clear();
            subject.getPrivateCredentials().clear();
        }
    }

    /** Releases what the verifier holds (the JWKS source's refresh); the application calls it on undeploy. */
    @Override
    public void close() throws IOException {
        verifier.close();
    }
}
