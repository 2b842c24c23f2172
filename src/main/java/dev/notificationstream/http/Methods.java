package dev.notificationstream.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * The methods an endpoint takes, answered before it runs: another HTTP method gets 405 with
 * {@code Allow} and a message naming it, a method HTTP does not define (PROPFIND, FOO) 501, and a
 * plain OPTIONS 204 with {@code Allow} (CorsFilter answers preflights first). Left to HttpServlet,
 * each was a {@code sendError} whose JSON said "does not take GET" (Tomcat dispatches an error page
 * as a GET) with no Allow, and 501 claimed an internal error.
 */
public final class Methods extends HttpFilter {

    /** RFC 9110's methods and PATCH (RFC 5789): the ones a 405 is the right answer to. */
    private static final Set<String> HTTP = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

    private final List<String> allowed;
    private final String allow;

    /** {@code methods}: what the endpoint's servlet implements; OPTIONS is added. */
    public Methods(String... methods) {
        allowed = List.of(methods);
        allow = String.join(", ", methods) + ", OPTIONS";
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String method = request.getMethod();
        if (allowed.contains(method)) {
            chain.doFilter(request, response);
        } else if (method.equals("OPTIONS")) {
            response.setHeader("Allow", allow);
            response.setStatus(204);
        } else if (HTTP.contains(method)) {
            response.setHeader("Allow", allow);
            Json.error(response, 405, "method_not_allowed", "this resource does not take " + method + "; it takes " + allow);
        } else {
            Json.error(response, 501, "not_implemented", "this server does not implement the method " + Params.clip(method));
        }
    }
}
