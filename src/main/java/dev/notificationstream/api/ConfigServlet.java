package dev.notificationstream.api;

import dev.notificationstream.http.Json;
import dev.notificationstream.config.Config;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code GET /api/config}: what a frontend needs to choose SSE or polling. */
public final class ConfigServlet extends HttpServlet {

    private final Map<String, Object> body = new LinkedHashMap<>();

    public ConfigServlet(Config config) {
        body.put("sseEnabled", config.sseEnabled());
        body.put("pollIntervalMs", config.pollIntervalMs());
        body.put("heartbeatSeconds", config.heartbeatSeconds());
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Json.send(response, 200, body);
    }
}
