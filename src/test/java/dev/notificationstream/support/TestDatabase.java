package dev.notificationstream.support;

import dev.notificationstream.launch.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A fresh, empty database for each test class, on a real PostgreSQL: the server TEST_DATABASE_URL
 * names (CI also runs the machine's PostgreSQL 15), else one embedded PostgreSQL per test JVM.
 */
public final class TestDatabase {

    private static String serverUrl;
    private static final List<String> created = new ArrayList<>();

    private TestDatabase() {}

    /** Creates a new database and returns its JDBC URL. */
    public static synchronized String create() throws Exception {
        if (serverUrl == null) {
            serverUrl = System.getenv("TEST_DATABASE_URL");
            if (serverUrl != null && !serverUrl.isBlank()) {
                Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::dropCreated));
            } else {
                LocalPostgres postgres = LocalPostgres.temporary();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        postgres.close();
                    } catch (Exception ignored) {
                        // the JVM is going away
                    }
                }));
                serverUrl = postgres.url("postgres");
            }
        }
        String name = "ns_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection admin = DriverManager.getConnection(serverUrl); Statement sql = admin.createStatement()) {
            sql.execute("CREATE DATABASE " + name);
        }
        created.add(name);
        return serverUrl.replaceFirst("(jdbc:postgresql://[^/]+/)[^?]*", "$1" + name);
    }

    /** On a shared server, leave nothing behind. */
    private static void dropCreated() {
        try (Connection admin = DriverManager.getConnection(serverUrl); Statement sql = admin.createStatement()) {
            for (String name : created) {
                sql.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        } catch (SQLException e) {
            System.err.println("could not drop test databases: " + e.getMessage());
        }
    }

    public static Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url);
    }
}
