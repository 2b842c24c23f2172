package dev.notificationstream.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Cross-origin use for the origins in CORS_ALLOWED_ORIGINS only, with credentials (so the user's
 * session or BASIC login applies); any other origin gets no CORS headers and the browser refuses.
 * Preflights are answered here: web.xml leaves OPTIONS unauthenticated because browsers send them
 * without credentials.
 */
public final class CorsFilter extends HttpFilter {

    private final Origins origins;

    public CorsFilter(Origins origins) {
        this.origins = origins;
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String origin = request.getHeader("Origin");
        response.addHeader("Vary", "Origin");
        if (origins.isListed(origin)) {
            response.setHeader("Access-Control-Allow-Origin", origin);
            response.setHeader("Access-Control-Allow-Credentials", "true");
            if ("OPTIONS".equals(request.getMethod()) && request.getHeader("Access-Control-Request-Method") != null) {
                response.setHeader("Access-Control-Allow-Methods", "GET, POST, DELETE");
                response.setHeader("Access-Control-Allow-Headers", "Content-Type, Last-Event-ID, Authorization");
                response.setHeader("Access-Control-Max-Age", "600");
                response.setStatus(204);
                return;
            }
        }
        if ("OPTIONS".equals(request.getMethod())) {
            response.setStatus(204); // no CORS for this origin: an empty answer, not a page
            return;
        }
        chain.doFilter(request, response);
    }
}
