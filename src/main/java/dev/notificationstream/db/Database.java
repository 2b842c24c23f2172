package dev.notificationstream.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.notificationstream.config.DatabaseSettings;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The database: a pool for short queries (our HikariCP pool, or the container's DataSource
 * {@code jdbc/notifications}), the Flyway migrations, and dedicated connections for LISTEN (which
 * a transaction-pooling PgBouncer would break, hence its own URL).
 */
public final class Database implements AutoCloseable {

    /** The container DataSource an operator may declare in context.xml instead of DATABASE_URL. */
    public static final String CONTAINER_DATASOURCE = "java:comp/env/jdbc/notifications";

    private final DataSource pool;
    private final HikariDataSource ownPool; // null when the container owns the pool
    private final List<Thread> poolThreads;

    private Database(DataSource pool, HikariDataSource ownPool, List<Thread> poolThreads) {
        this.pool = pool;
        this.ownPool = ownPool;
        this.poolThreads = poolThreads;
    }

    /** The container's DataSource when context.xml declares one, else null. */
    public static DataSource containerDataSource() {
        try {
            return (DataSource) new InitialContext().lookup(CONTAINER_DATASOURCE);
        } catch (NamingException notDeclared) {
            return null;
        }
    }

    /** Uses the container's pool; the container opens and closes it. */
    public static Database of(DataSource containerPool) {
        return new Database(containerPool, null, List.of());
    }

    /**
     * pgjdbc's {@code prepareThreshold=0}: no named server-side statements, so PostgreSQL plans every
     * read with its actual cursor. After five runs of a named statement it may switch to a generic
     * plan, which cannot know how few rows {@code txid >= xmax} selects and walks the primary key
     * instead: O(table) per read (20 ms at 67,000 rows, docs/benchmarks.md). It also suits a
     * transaction-pooling PgBouncer. A {@code prepareThreshold} in the URL still wins.
     */
    static final String CUSTOM_PLANS = "0";

    /** With the default timeouts. */
    public static Database open(String url, int poolSize) {
        return open(url, poolSize, DatabaseSettings.from(name -> null));
    }

    /**
     * A request waits at most {@code connectionTimeoutMs} for a connection and a query at most
     * {@code socketTimeoutSeconds} for the server (HikariCP waits 30 s by default, and a pgjdbc
     * connection waits for ever on a network that went silent): an unreachable database costs a
     * quick 503, not a hung request.
     */
    public static Database open(String url, int poolSize, DatabaseSettings timeouts) {
        if (url == null) {
            throw new IllegalStateException("DATABASE_URL is not set (jdbc:postgresql://host:5432/db?user=... or postgres://user:password@host:5432/db)");
        }
        JdbcUrl jdbc = JdbcUrl.of(url);
        HikariConfig config = new HikariConfig();
        // Inside a WAR, DriverManager does not see the webapp's driver: name it.
        config.setDriverClassName("org.postgresql.Driver");
        config.setJdbcUrl(jdbc.url());
        config.setDataSourceProperties(jdbc.properties());
        config.setMaximumPoolSize(poolSize);
        config.setConnectionTimeout(timeouts.connectionTimeoutMs());
        config.setValidationTimeout(Math.min(timeouts.connectionTimeoutMs(), 1_000));
        config.addDataSourceProperty("socketTimeout", Integer.toString(timeouts.socketTimeoutSeconds()));
        config.addDataSourceProperty("connectTimeout", Integer.toString(timeouts.socketTimeoutSeconds()));
        config.addDataSourceProperty("loginTimeout", Integer.toString(timeouts.socketTimeoutSeconds()));
        config.setPoolName("notification-stream");
        config.addDataSourceProperty("ApplicationName", "notification-stream");
        // HikariCP's own threads (housekeeper, connection adder and closer), kept so close() can
        // wait for them: its shutdown returns when their executors terminate, a moment before the
        // threads are gone, and Tomcat then warns that the undeployed application "started a
        // thread [notification-stream:connection-closer] but has failed to stop it".
        List<Thread> threads = new CopyOnWriteArrayList<>();
        config.setThreadFactory(task -> {
            Thread thread = new Thread(task, "notification-stream-pool-" + threads.size());
            thread.setDaemon(true);
            threads.removeIf(old -> old.getState() == Thread.State.TERMINATED); // idle ones come and go
            threads.add(thread);
            return thread;
        });
        config.addDataSourceProperty("prepareThreshold", CUSTOM_PLANS);
        HikariDataSource pool = new HikariDataSource(config);
        return new Database(pool, pool, threads);
    }

    public DataSource dataSource() {
        return pool;
    }

    /** Applies db/migration; the same files a DBA can run with Flyway alone. */
    public void migrate() {
        Flyway.configure(Database.class.getClassLoader())
                .dataSource(pool)
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    /**
     * A connection outside the pool, for the ChangeFeed. pgjdbc's blocked wait for notifications
     * does not notice a network that went silent, so reads time out after {@code timeoutSeconds}
     * and TCP keepalive is on; the feed's probe each quiet second makes the timeout fire. Opening
     * it is bounded too: {@code connectTimeout} covers only the TCP handshake, which a frozen proxy
     * still completes, {@code loginTimeout} the whole start-up. Its sockets make the wait for
     * notifications return with what has arrived ({@link PromptListenSocketFactory}); a
     * {@code socketFactory} in the URL still wins.
     */
    public static Connection openDedicated(String url, int timeoutSeconds) throws SQLException {
        JdbcUrl jdbc = JdbcUrl.of(url);
        Properties properties = jdbc.properties();
        properties.setProperty("ApplicationName", "notification-stream-listener");
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("socketTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("prepareThreshold", CUSTOM_PLANS);
        properties.setProperty("socketFactory", PromptListenSocketFactory.class.getName());
        return new org.postgresql.Driver().connect(jdbc.url(), properties);
    }

    @Override
    public void close() {
        if (ownPool == null) {
            return;
        }
        ownPool.close();
        for (Thread thread : poolThreads) {
            try {
                thread.join(5_000);
            } catch (InterruptedException stopping) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Accepts a JDBC URL or the {@code postgres://user:password@host:port/db} form many platforms hand out. */
    record JdbcUrl(String url, Properties properties) {
        static JdbcUrl of(String url) {
            Properties properties = new Properties();
            if (url.startsWith("jdbc:")) {
                return new JdbcUrl(url, properties);
            }
            if (!url.startsWith("postgres://") && !url.startsWith("postgresql://")) {
                throw new IllegalStateException("database URL must start with jdbc:postgresql:// or postgres://");
            }
            URI uri = URI.create(url);
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null) {
                String[] parts = userInfo.split(":", 2);
                properties.setProperty("user", decode(parts[0]));
                if (parts.length == 2) {
                    properties.setProperty("password", decode(parts[1]));
                }
            }
            String hostPort = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
            return new JdbcUrl("jdbc:postgresql://" + hostPort + uri.getRawPath() + query, properties);
        }

        private static String decode(String text) {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        }
    }
}
