package dev.notificationstream.config;

/**
 * The SSE rollout and its brake. {@code percent} is the share until one is set in the database
 * ({@code SELECT notifications_set_sse_rollout(10)}), which every instance then follows at run time.
 */
public record RolloutSettings(
        int percent,
        String salt,
        String canaryRole,
        int brakeWindowSeconds,
        int brakeThresholdPercent,
        int brakeMinClients,
        int clientEventsPerMinute) {

    public static RolloutSettings from(Config.Source source) {
        Config.Reader read = new Config.Reader(source);
        return new RolloutSettings(
                read.number("SSE_ROLLOUT_PERCENT", 100, 0, 100),
                read.text("SSE_ROLLOUT_SALT", "sse"),
                read.text("SSE_CANARY_ROLE", null),
                read.number("SSE_BRAKE_WINDOW", 300, 10, 86_400),
                read.number("SSE_BRAKE_THRESHOLD", 5, 1, 100),
                read.number("SSE_BRAKE_MIN_CLIENTS", 50, 1, 1_000_000),
                read.number("CLIENT_EVENTS_RATE_LIMIT", 30, 1, 10_000));
    }
}
