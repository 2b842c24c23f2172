package dev.notificationstream.http;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which pages may change state with the user's credentials: this service's own (PUBLIC_ORIGINS, or
 * when that is empty, the origin the request's Host header names) and the other sites of
 * CORS_ALLOWED_ORIGINS. With PUBLIC_ORIGINS set the Host header is not trusted: a DNS-rebinding
 * page chooses it, so "Origin equals Host" would let any name that resolves here pass.
 */
public final class Origins {

    private final Set<String> allowed;
    private final Set<String> own;

    public Origins(String corsAllowedOrigins, String publicOrigins) {
        allowed = parse(corsAllowedOrigins);
        own = parse(publicOrigins);
    }

    private static Set<String> parse(String commaSeparated) {
        return commaSeparated == null ? Set.of()
                : Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(o -> !o.isEmpty())
                        .map(o -> o.endsWith("/") ? o.substring(0, o.length() - 1) : o).collect(Collectors.toUnmodifiableSet());
    }

    public boolean isListed(String origin) {
        return origin != null && allowed.contains(origin);
    }

    /** The request comes from our own pages: no Origin (same-origin GET), or one of ours. */
    boolean isSameOrigin(HttpServletRequest request, String origin) {
        if (origin == null) {
            return true;
        }
        if (!own.isEmpty()) {
            return own.contains(origin);
        }
        String host = request.getHeader("Host");
        return host != null && (origin.equals("http://" + host) || origin.equals("https://" + host));
    }

    public boolean mayCall(HttpServletRequest request) {
        String origin = request.getHeader("Origin");
        return isSameOrigin(request, origin) || isListed(origin);
    }
}
