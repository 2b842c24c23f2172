package dev.notificationstream.support;

import dev.notificationstream.launch.EmbeddedTomcat;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * The application on a real embedded Tomcat 11 with a real PostgreSQL: what most tests start.
 * Rows are inserted with plain SQL on a connection of the test's own, as a DBA would.
 */
public final class TestServer implements AutoCloseable {

    public final String databaseUrl;
    private final Map<String, String> settings;
    private EmbeddedTomcat tomcat;
    private int port; // kept across stop() for restart()

    private TestServer(String databaseUrl, Map<String, String> settings) {
        this.databaseUrl = databaseUrl;
        this.settings = settings;
    }

    /** A fresh database and a server with {@code settings} (name, value, name, value...). */
    public static TestServer start(String... settings) throws Exception {
        return startOn(TestDatabase.create(), settings);
    }

    /** Another server on the same database: a second instance. */
    public static TestServer startOn(String databaseUrl, String... settings) throws Exception {
        Map<String, String> map = new HashMap<>();
        map.put("DATABASE_URL", databaseUrl);
        map.put("SSE_HEARTBEAT_INTERVAL", "1");
        map.put("FEED_SAFETY_INTERVAL", "2");
        for (int i = 0; i + 1 < settings.length; i += 2) {
            map.put(settings[i], settings[i + 1]);
        }
        TestServer server = new TestServer(databaseUrl, map);
        server.tomcat = EmbeddedTomcat.start(0, map);
        return server;
    }

    public String url() {
        return tomcat.url();
    }

    public EmbeddedTomcat tomcat() {
        return tomcat;
    }

    /** Stops the server (streams end); {@link #restart} brings it back on the same database. */
    public void stop() throws Exception {
        port = tomcat.port();
        tomcat.close();
        tomcat = null;
    }

    /**
     * Starts it again on the same database and the same port, as a real restart does (a browser
     * page is tied to its origin), with {@code overrides} (name, value...) on top of its settings.
     */
    public void restart(String... overrides) throws Exception {
        for (int i = 0; i + 1 < overrides.length; i += 2) {
            settings.put(overrides[i], overrides[i + 1]);
        }
        tomcat = EmbeddedTomcat.start(port, settings);
    }

    public Connection sql() throws SQLException {
        return TestDatabase.connect(databaseUrl);
    }

    /** Runs SQL in its own transaction, as psql would. */
    public void execute(String sql) throws SQLException {
        try (Connection connection = sql(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    @Override
    public void close() throws Exception {
        if (tomcat != null) {
            tomcat.close();
        }
    }
}
