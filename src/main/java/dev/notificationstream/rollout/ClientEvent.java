package dev.notificationstream.rollout;

import java.util.Set;

/**
 * A transport event a browser reported (POST /api/client-events): what proxies in the field do to
 * SSE, which no server-side metric can see. Types and reasons come from fixed lists, so the
 * metric's label values stay few.
 */
public record ClientEvent(String type, String reason) {

    /** Stream opened; stream failed; fell back to polling; went back to SSE; resumed after an end. */
    public static final Set<String> TYPES = Set.of("sse_opened", "sse_failed", "sse_fallback", "sse_restored", "sse_resumed");

    /**
     * Why (the client's classification): {@code http_status} the stream was refused before it opened
     * (an HTTP error, a proxy or a limit), {@code no_events} it opened but nothing came through (a
     * buffering proxy), {@code watchdog} it went silent after delivering, {@code network} the service
     * did not answer, {@code ended} the server or the network ended a stream that worked,
     * {@code disabled} the service says SSE is not for this user; {@code none} for events without one.
     */
    public static final Set<String> REASONS = Set.of("none", "http_status", "no_events", "watchdog", "network", "ended", "disabled");

    /** Failures that say SSE does not work for this browser (not the service being down, not the rollout). */
    private static final Set<String> TRANSPORT_FAILURES = Set.of("http_status", "no_events", "watchdog");

    public ClientEvent {
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("type must be one of " + String.join(", ", TYPES.stream().sorted().toList()));
        }
        if (!REASONS.contains(reason)) {
            throw new IllegalArgumentException("reason must be one of " + String.join(", ", REASONS.stream().sorted().toList()));
        }
    }

    /** The browser gave up on SSE for a reason of the transport's. */
    boolean isFallback() {
        return type.equals("sse_fallback") && !reason.equals("disabled");
    }

    boolean isFailure() {
        return type.equals("sse_failed") && TRANSPORT_FAILURES.contains(reason);
    }
}
