package dev.notificationstream.api;

import dev.notificationstream.stream.StreamLimits;
import dev.notificationstream.http.Json;
import dev.notificationstream.feed.ChangeFeed;
import dev.notificationstream.feed.Hub;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * {@code GET /health}: alive (cheap, no database). {@code GET /health/ready}: the database
 * answers and, with SSE on, the ChangeFeed is connected; 503 otherwise, so a load balancer sends
 * new clients elsewhere.
 */
public final class HealthServlet extends HttpServlet {

    private final DataSource dataSource;
    private final ChangeFeed feed; // null when SSE is off
    private final Hub hub;
    private final StreamLimits limits;

    public HealthServlet(DataSource dataSource, ChangeFeed feed, Hub hub, StreamLimits limits) {
        this.dataSource = dataSource;
        this.feed = feed;
        this.hub = hub;
        this.limits = limits;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        if (!"/ready".equals(request.getPathInfo())) {
            body.put("status", "UP");
            body.put("virtualThreads", Thread.currentThread().isVirtual());
            Json.send(response, 200, body);
            return;
        }
        boolean database = databaseAnswers();
        boolean ready = database && (feed == null || feed.isConnected() && !hub.isClosing());
        body.put("status", ready ? "UP" : "DOWN");
        body.put("database", database ? "UP" : "DOWN");
        if (feed != null) {
            Instant last = feed.lastFetch();
            body.put("changeFeed", feed.isConnected() ? "UP" : "DOWN");
            body.put("changeFeedReconnects", feed.reconnects());
            body.put("msSinceLastFetch", last == null ? null : Duration.between(last, Instant.now()).toMillis());
            body.put("activeStreams", hub.activeStreams());
            body.put("maxStreams", limits.total());
            body.put("maxStreamsPerUser", limits.perUser());
            body.put("maxStreamsPerAddress", limits.perAddress());
        }
        Json.send(response, ready ? 200 : 503, body);
    }

    private boolean databaseAnswers() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (Exception unreachable) {
            return false;
        }
    }
}
