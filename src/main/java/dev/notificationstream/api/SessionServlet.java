package dev.notificationstream.api;

import dev.notificationstream.http.Json;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * {@code GET /api/session}: who is signed in, for the page to show. There is no DELETE for HTTP
 * BASIC: the browser keeps those credentials until it quits and sends them unasked, so a server
 * cannot sign such a user out (the page says so).
 */
public final class SessionServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        Json.send(response, 200, Map.of("user", request.getRemoteUser()));
    }
}
