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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * {@code GET /health}: alive (cheap, no database). {@code GET /health/ready}: the database
 * answers and, with SSE on, the ChangeFeed reads new rows (listening, or through the pool while
 * its LISTEN connection is down); 503 otherwise, so a load balancer sends new clients elsewhere.
 * It answers within {@link #CHECK_WAIT_MILLIS} whatever the database does: one check at a time
 * runs on its own thread, and every readiness request meanwhile waits for that one.
 */
public final class HealthServlet extends HttpServlet {

    private final DataSource dataSource;
    private final ChangeFeed feed; // null when SSE is off
    private final Hub hub;
    private final StreamLimits limits;
    /** The database check in flight or last done. */
    private final AtomicReference<CompletableFuture<Boolean>> check = new AtomicReference<>(CompletableFuture.completedFuture(false));

    /** A load balancer's probe times out after a few seconds; readiness answers well before. */
    static final long CHECK_WAIT_MILLIS = 1_000;

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
        ChangeFeed.State delivery = feed == null ? null : feed.state();
        boolean ready = database && (feed == null || delivery != ChangeFeed.State.DOWN && !hub.isClosing());
        body.put("status", ready ? "UP" : "DOWN");
        body.put("database", database ? "UP" : "DOWN");
        if (feed != null) {
            Instant last = feed.lastFetch();
            body.put("changeFeed", delivery.name());
            body.put("changeFeedReconnects", feed.reconnects());
            body.put("msSinceLastFetch", last == null ? null : Duration.between(last, Instant.now()).toMillis());
            body.put("activeStreams", hub.activeStreams());
            body.put("maxStreams", limits.total());
            body.put("maxStreamsPerUser", limits.perUser());
            body.put("maxStreamsPerAddress", limits.perAddress());
        }
        Json.send(response, ready ? 200 : 503, body);
    }

    /** Whether a pool connection answers, within CHECK_WAIT_MILLIS. */
    private boolean databaseAnswers() {
        CompletableFuture<Boolean> current = check.get();
        if (current.isDone()) {
            CompletableFuture<Boolean> fresh = new CompletableFuture<>();
            if (check.compareAndSet(current, fresh)) {
                Thread.startVirtualThread(() -> fresh.complete(ping()));
                current = fresh;
            } else {
                current = check.get(); // another request started one
            }
        }
        try {
            return current.get(CHECK_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException slow) {
            return false;
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean ping() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (Exception unreachable) {
            return false;
        }
    }
}
