package dev.notificationstream.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The database: a HikariCP pool for short queries, the Flyway migrations, and dedicated
 * connections for LISTEN (which a transaction-pooling PgBouncer would break, hence its own URL).
 */
public final class Database implements AutoCloseable {

    private final HikariDataSource pool;

    private Database(HikariDataSource pool) {
        this.pool = pool;
    }

    /**
     * pgjdbc's {@code prepareThreshold=0}: no named server-side statements, so PostgreSQL plans every
     * read with its actual cursor. After five runs of a named statement it may switch to a generic
     * plan, which cannot know how few rows {@code txid >= xmax} selects and walks the primary key
     * instead: O(table) per read (20 ms at 67,000 rows, docs/benchmarks.md). It also suits a
     * transaction-pooling PgBouncer. A {@code prepareThreshold} in the URL still wins.
     */
    static final String CUSTOM_PLANS = "0";

    public static Database open(String url, int poolSize) {
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
        config.setPoolName("notification-stream");
        config.addDataSourceProperty("ApplicationName", "notification-stream");
        config.addDataSourceProperty("prepareThreshold", CUSTOM_PLANS);
        return new Database(new HikariDataSource(config));
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
     * does not notice a network that went silent, so reads time out and TCP keepalive is on; the
     * feed's periodic fetch is the probe that makes the timeout fire.
     */
    public static Connection openDedicated(String url, int socketTimeoutSeconds) throws SQLException {
        JdbcUrl jdbc = JdbcUrl.of(url);
        Properties properties = jdbc.properties();
        properties.setProperty("ApplicationName", "notification-stream-listener");
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        properties.setProperty("connectTimeout", "10");
        properties.setProperty("prepareThreshold", CUSTOM_PLANS);
        return new org.postgresql.Driver().connect(jdbc.url(), properties);
    }

    @Override
    public void close() {
        pool.close();
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
