package dev.notificationstream.http;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** CORS_ALLOWED_ORIGINS: the other sites whose pages may use this service with the user's credentials. */
public final class Origins {

    private final Set<String> allowed;

    public Origins(String commaSeparated) {
        allowed = commaSeparated == null ? Set.of()
                : Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(o -> !o.isEmpty())
                        .map(o -> o.endsWith("/") ? o.substring(0, o.length() - 1) : o).collect(Collectors.toUnmodifiableSet());
    }

    public boolean isListed(String origin) {
        return origin != null && allowed.contains(origin);
    }

    /** The request comes from our own pages: no Origin (same-origin GET), or one naming our host. */
    public static boolean isSameOrigin(HttpServletRequest request, String origin) {
        if (origin == null) {
            return true;
        }
        String host = request.getHeader("Host");
        return host != null && (origin.equals("http://" + host) || origin.equals("https://" + host));
    }

    public boolean mayCall(HttpServletRequest request) {
        String origin = request.getHeader("Origin");
        return isSameOrigin(request, origin) || isListed(origin);
    }
}
