package dev.notificationstream.config;

import java.util.function.UnaryOperator;
import javax.naming.InitialContext;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;

/**
 * Every setting, read once at start-up from one place. Precedence: a JNDI environment entry
 * ({@code java:comp/env/NAME}, from Tomcat's context.xml) over a Java system property over an
 * environment variable over the default. A value out of range stops the start with a message
 * naming the setting, rather than running with a surprise.
 */
public record Config(
        boolean sseEnabled,
        int pollIntervalMs,
        int heartbeatSeconds,
        int retryMs,
        int writerThreads,
        int queueCapacity,
        String databaseUrl,
        String listenDatabaseUrl,
        int poolSize,
        boolean migrateOnStart,
        int feedSafetySeconds,
        int feedPageSize,
        int maxStreams,
        int maxStreamsPerUser,
        int maxStreamsPerAddress,
        int pollMinIntervalMs,
        int publishPerMinute,
        int maxRequestBytes,
        String corsAllowedOrigins,
        int shutdownGraceSeconds) {

    /** Where a setting is looked up by name; null when it is not set there. */
    public interface Source extends UnaryOperator<String> {}

    /** Where every setting is looked up at start-up: JNDI, then system property, then environment. */
    public static final Source DEPLOYMENT = Config::lookup;

    public static Config load() {
        return from(DEPLOYMENT);
    }

    public static Config from(Source source) {
        Reader read = new Reader(source);
        String databaseUrl = read.text("DATABASE_URL", null);
        return new Config(
                read.flag("ENABLE_SSE", true),
                read.number("NOTIFICATION_POLLING_INTERVAL", 60_000, 1_000, 86_400_000),
                read.number("SSE_HEARTBEAT_INTERVAL", 30, 1, 3_600),
                read.number("SSE_RETRY_INTERVAL", 3_000, 100, 600_000),
                read.number("SSE_WRITER_THREADS", 4, 1, 256),
                read.number("SSE_QUEUE_CAPACITY", 1_000, 1, 1_000_000),
                databaseUrl,
                read.text("LISTEN_DATABASE_URL", databaseUrl),
                read.number("DATABASE_POOL_SIZE", 10, 1, 1_000),
                read.flag("MIGRATE_ON_START", true),
                read.number("FEED_SAFETY_INTERVAL", 10, 1, 3_600),
                read.number("FEED_PAGE_SIZE", 1_000, 1, 100_000),
                read.number("SSE_MAX_CONNECTIONS", 9_500, 1, 1_000_000),
                read.number("SSE_MAX_CONNECTIONS_PER_USER", 10, 1, 10_000),
                read.number("SSE_MAX_CONNECTIONS_PER_ADDRESS", 1_000, 1, 1_000_000),
                read.number("POLL_MIN_INTERVAL", 1_000, 1, 3_600_000),
                read.number("PUBLISH_RATE_LIMIT", 60, 1, 1_000_000),
                read.number("MAX_REQUEST_BYTES", 65_536, 1_024, 16_777_216),
                read.text("CORS_ALLOWED_ORIGINS", ""),
                read.number("SHUTDOWN_GRACE_PERIOD", 10, 0, 600));
    }

    /** JNDI, then system property, then environment. */
    private static String lookup(String name) {
        try {
            Object value = new InitialContext().lookup("java:comp/env/" + name);
            if (value != null) {
                return value.toString();
            }
        } catch (NameNotFoundException notThere) {
            // not set in context.xml
        } catch (NamingException noJndi) {
            // no naming context (a plain JVM): fall through
        }
        String property = System.getProperty(name);
        return property != null ? property : System.getenv(name);
    }

    /** Reads typed settings from a source; the settings of one concern (config/*) each have their own record that uses it. */
    record Reader(Source source) {
        String text(String name, String fallback) {
            String value = source.apply(name);
            return value == null || value.isBlank() ? fallback : value.strip();
        }

        boolean flag(String name, boolean fallback) {
            String value = text(name, null);
            if (value == null) {
                return fallback;
            }
            return switch (value.toLowerCase()) {
                case "true", "1", "yes", "on" -> true;
                case "false", "0", "no", "off" -> false;
                default -> throw new IllegalStateException(name + " must be true or false, not '" + value + "'");
            };
        }

        int number(String name, int fallback, int min, int max) {
            String value = text(name, null);
            if (value == null) {
                return fallback;
            }
            try {
                int number = Integer.parseInt(value);
                if (number >= min && number <= max) {
                    return number;
                }
            } catch (NumberFormatException notANumber) {
                // reported below
            }
            throw new IllegalStateException(name + " must be a whole number from " + min + " to " + max + ", not '" + value + "'");
        }
    }
}
