package dev.notificationstream.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notificationstream.http.Json;
import dev.notificationstream.http.RateLimiter;
import dev.notificationstream.http.RequestGuard;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.rollout.Brake;
import dev.notificationstream.rollout.ClientEvent;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /api/client-events}: what the browser's transport went through, batched by the
 * client ({@code {"events":[{"type":"sse_fallback","reason":"no_events"}, ...]}}), counted in
 * {@code notification_stream_client_events_total{type,reason}} and fed to the brake.
 */
public final class ClientEventsServlet extends HttpServlet {

    /** A browser batches a few seconds' worth; more in one request is not a browser of ours. */
    static final int MAX_EVENTS = 50;

    private final RateLimiter limiter;
    private final RequestGuard guard;
    private final Brake brake;
    private final Metrics metrics;

    public ClientEventsServlet(RateLimiter limiter, RequestGuard guard, Brake brake, Metrics metrics) {
        this.limiter = limiter;
        this.guard = guard;
        this.brake = brake;
        this.metrics = metrics;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String user = request.getRemoteUser();
        JsonNode body = guard.acceptJsonPost(request, response, limiter, () -> metrics.rejected("client_events_rate"),
                "reporting client events too often; batch them");
        if (body == null) {
            return;
        }
        List<ClientEvent> events;
        try {
            events = parse(body);
        } catch (IllegalArgumentException invalid) {
            Json.error(response, 400, "invalid_event", invalid.getMessage());
            return;
        }
        for (ClientEvent event : events) {
            metrics.clientEvent(event.type(), event.reason());
            if (event.type().equals("sse_failed")) {
                metrics.sseError("client");
            }
        }
        brake.reported(user, events);
        response.setStatus(204);
    }

    private static List<ClientEvent> parse(JsonNode body) {
        if (body == null || !body.isObject() || !body.path("events").isArray() || body.size() != 1) {
            throw new IllegalArgumentException("the body must be {\"events\":[{\"type\":...,\"reason\":...}, ...]}");
        }
        JsonNode array = body.get("events");
        if (array.isEmpty() || array.size() > MAX_EVENTS) {
            throw new IllegalArgumentException("events: 1 to " + MAX_EVENTS + " per request");
        }
        List<ClientEvent> events = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode event = array.get(i);
            if (!event.isObject() || !event.path("type").isTextual() || !event.path("reason").isTextual()
                    || event.size() != 2) {
                throw new IllegalArgumentException("events[" + i + "] must be {\"type\":\"...\",\"reason\":\"...\"}");
            }
            try {
                events.add(new ClientEvent(event.get("type").asText(), event.get("reason").asText()));
            } catch (IllegalArgumentException unknown) {
                throw new IllegalArgumentException("events[" + i + "]: " + unknown.getMessage());
            }
        }
        return events;
    }
}
