package dev.notificationstream.config;

/**
 * How long the service waits for PostgreSQL before it gives up: an unreachable database must cost
 * a client a quick 503 with Retry-After, not a hung request.
 *
 * @param connectionTimeoutMs the longest a request waits for a pool connection (HikariCP's
 *     {@code connectionTimeout}); then 503
 * @param socketTimeoutSeconds the longest a pool connection waits for an answer from the server
 *     (pgjdbc's {@code socketTimeout}); also bounds opening one
 * @param poolReserve the pool's connections clients' reads (replays, polls, unread counts) leave
 *     for everything else (readiness, read marks, publishing, the feed's reads through the pool): a
 *     storm of catch-ups waits its turn instead of taking the whole pool
 * @param listenTimeoutSeconds the longest the LISTEN connection may go without an answer to the
 *     ChangeFeed's probe (sent each second it is quiet), or take to open, before the feed counts it
 *     down and reads through the pool meanwhile
 */
public record DatabaseSettings(int connectionTimeoutMs, int socketTimeoutSeconds, int poolReserve, int listenTimeoutSeconds) {

    public static DatabaseSettings from(Config.Source source) {
        Config.Reader read = new Config.Reader(source);
        return new DatabaseSettings(
                read.number("DATABASE_CONNECTION_TIMEOUT", 2_000, 250, 60_000),
                read.number("DATABASE_SOCKET_TIMEOUT", 10, 1, 3_600),
                read.number("DATABASE_POOL_RESERVE", 2, 0, 1_000),
                read.number("LISTEN_TIMEOUT", 3, 1, 60));
    }

    /** How many of a pool's connections clients' reads may hold at once: all but the reserve, and at least one. */
    public int clientConnections(int poolSize) {
        return Math.max(1, poolSize - poolReserve);
    }
}
