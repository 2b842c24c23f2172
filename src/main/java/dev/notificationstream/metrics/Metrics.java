package dev.notificationstream.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;

/**
 * Everything /metrics shows, in one registry per deployment (a redeploy starts a fresh one).
 * Every name starts with {@code notification_stream_}; the JVM's own metrics come from the
 * Prometheus client's JVM instrumentation.
 */
public final class Metrics {

    private static final String PREFIX = "notification_stream_";

    private final PrometheusRegistry registry = new PrometheusRegistry();

    private final Counter connections = counter("sse_connections", "SSE streams opened");
    private final Counter resumes = counter("sse_resumes", "SSE streams opened with a cursor (Last-Event-ID or ?cursor=)");
    private final Counter fromMemory = counter("sse_starts_from_memory",
            "SSE streams started from the ChangeFeed's recent pages, with no query");
    // No exemplars, classic histograms only: either starts the client's static scheduler thread,
    // which outlives an undeploy (Tomcat reports it as a leak).
    private final Counter ends = Counter.builder().name(PREFIX + "sse_stream_ends").withoutExemplars()
            .help("SSE streams ended, by reason").labelNames("reason").register(registry);
    private final Counter rejected = Counter.builder().name(PREFIX + "rejected_requests").withoutExemplars()
            .help("requests refused by a limit, by limit").labelNames("limit").register(registry);
    private final Counter sent = counter("notifications_sent", "notification events written to SSE streams, replays included");
    private final Counter heartbeats = counter("heartbeats_sent", "heartbeat and cursor frames queued to SSE streams");
    private final Counter polls = counter("poll_requests", "polling requests answered");
    private final Counter published = counter("published", "notifications published over HTTP");
    private final Counter reconnects = counter("change_feed_reconnects", "times the ChangeFeed lost its connection and reconnected");
    private final Counter errors = Counter.builder().name(PREFIX + "sse_errors").withoutExemplars()
            .help("SSE failures: on the server (a stream that could not start or broke) and as browsers report them")
            .labelNames("side").register(registry);
    private final Counter clientEvents = Counter.builder().name(PREFIX + "client_events").withoutExemplars()
            .help("transport events the browsers reported (POST /api/client-events), by type and reason")
            .labelNames("type", "reason").register(registry);
    private final Counter brakeTrips = counter("sse_brake_trips", "times the automatic brake set the SSE rollout to 0");
    private final Histogram fetches = Histogram.builder().name(PREFIX + "change_feed_fetch_seconds").classicOnly().withoutExemplars()
            .help("ChangeFeed reads: how long each catch-up took, all pages").unit(Unit.SECONDS)
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    private final Histogram delay = Histogram.builder().name(PREFIX + "delivery_delay_seconds").classicOnly().withoutExemplars()
            .help("from the ChangeFeed's read that found a row (a wake-up comes at its commit) to its write on a live stream").unit(Unit.SECONDS)
            .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
            .register(registry);

    public Metrics() {
        JvmMetrics.builder().register(registry);
    }

    private Counter counter(String name, String help) {
        return Counter.builder().name(PREFIX + name).help(help).withoutExemplars().register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    public void activeStreams(IntSupplier count) {
        GaugeWithCallback.builder().name(PREFIX + "sse_connections_active").help("SSE streams open now")
                .callback(callback -> callback.call(count.getAsInt())).register(registry);
    }

    /** The SSE rollout share in force, 0 to 1 (0 with ENABLE_SSE off). */
    public void sseRollout(DoubleSupplier ratio) {
        GaugeWithCallback.builder().name(PREFIX + "sse_rollout_ratio").help("share of users who get SSE, 0 to 1")
                .callback(callback -> callback.call(ratio.getAsDouble())).register(registry);
    }

    /** The streams this instance may hold (SSE_MAX_CONNECTIONS): what the connections are measured against. */
    public void maxStreams(int max) {
        GaugeWithCallback.builder().name(PREFIX + "sse_connections_max").help("SSE streams this instance may hold (SSE_MAX_CONNECTIONS)")
                .callback(callback -> callback.call(max)).register(registry);
    }

    /** 1 while the ChangeFeed's LISTEN connection is up. */
    public void feedConnected(BooleanSupplier connected) {
        GaugeWithCallback.builder().name(PREFIX + "change_feed_connected").help("1 while the ChangeFeed's LISTEN connection is up, else 0")
                .callback(callback -> callback.call(connected.getAsBoolean() ? 1 : 0)).register(registry);
    }

    public void sseError(String side) {
        errors.labelValues(side).inc();
    }

    public void clientEvent(String type, String reason) {
        clientEvents.labelValues(type, reason).inc();
    }

    public void brakeTripped() {
        brakeTrips.inc();
    }

    /** {@code fromMemory}: replayed from the ChangeFeed's recent pages, with no query. */
    public void streamOpened(boolean resumed, boolean fromMemory) {
        connections.inc();
        if (fromMemory) {
            this.fromMemory.inc();
        }
        if (resumed) {
            resumes.inc();
        }
    }

    public void streamEnded(String reason) {
        ends.labelValues(reason).inc();
    }

    public void rejected(String limit) {
        rejected.labelValues(limit).inc();
    }

    /** {@code count} notifications written to a live stream now, found by the read at {@code visibleAtMillis}. */
    public void sent(int count, long visibleAtMillis, long nowMillis) {
        sent.inc(count);
        double seconds = Math.max(0, nowMillis - visibleAtMillis) / 1000.0;
        for (int k = 0; k < count; k++) {
            delay.observe(seconds);
        }
    }

    /** Notifications a stream's replay wrote: the client was away, so they have no delivery delay. */
    public void replayed(int count) {
        sent.inc(count);
    }

    public void heartbeat() {
        heartbeats.inc();
    }

    public void polled() {
        polls.inc();
    }

    public void published() {
        published.inc();
    }

    public void feedReconnected() {
        reconnects.inc();
    }

    public void feedFetched(long nanos) {
        fetches.observe(nanos / 1e9);
    }
}
