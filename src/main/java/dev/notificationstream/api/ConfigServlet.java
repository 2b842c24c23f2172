package dev.notificationstream.api;

import dev.notificationstream.http.Json;
import dev.notificationstream.config.Config;
import dev.notificationstream.rollout.Rollout;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * {@code GET /api/config}: what a frontend needs to choose SSE or polling, for the signed-in user:
 * {@code sseEnabled} is whether they get SSE now (ENABLE_SSE and the rollout), {@code sseRolloutPercent}
 * the share in force.
 */
public final class ConfigServlet extends HttpServlet {

    private final Config config;
    private final Rollout rollout;

    public ConfigServlet(Config config, Rollout rollout) {
        this.config = config;
        this.rollout = rollout;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, Object> body = rollout.configFor(rollout.admits(request));
        body.put("pollIntervalMs", config.pollIntervalMs());
        body.put("heartbeatSeconds", config.heartbeatSeconds());
        Json.send(response, 200, body);
    }
}
