package dev.notificationstream.config;

/**
 * How often a user may start a stream: each start is a replay query, so a loop that opens and
 * closes streams is held to the pace polls are held to (POLL_MIN_INTERVAL).
 *
 * @param minIntervalMs per user, after a burst of SSE_MAX_CONNECTIONS_PER_USER starts
 */
public record StreamStartSettings(int minIntervalMs) {

    public static StreamStartSettings from(Config.Source source) {
        Config.Reader read = new Config.Reader(source);
        return new StreamStartSettings(read.number("SSE_MIN_START_INTERVAL", 1_000, 1, 3_600_000));
    }
}
