package dev.notificationstream.support;

import dev.notificationstream.launch.EmbeddedTomcat;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The application on a real embedded Tomcat 11 with a real PostgreSQL: what most tests start.
 * Rows are inserted with plain SQL on a connection of the test's own, as a DBA would.
 *
 * <p>For a whole test class: {@code @RegisterExtension static final TestServer server =
 * TestServer.forClass(settings...)} starts it on a fresh database before the class's tests and
 * stops it after them.
 */
public final class TestServer implements AutoCloseable, BeforeAllCallback, AfterAllCallback {

    private String databaseUrl;
    private final Map<String, String> settings = new HashMap<>();
    private EmbeddedTomcat tomcat;
    private int port; // kept across stop() for restart()

    /** Every test server takes tokens signed with it, so every test's BASIC sign-in runs beside token sign-in. */
    public static final String TOKEN_SECRET = "the-test-servers-token-secret-32-bytes-or-more";

    private TestServer(String databaseUrl, String... settings) {
        this.databaseUrl = databaseUrl;
        this.settings.put("SSE_HEARTBEAT_INTERVAL", "1");
        this.settings.put("FEED_SAFETY_INTERVAL", "2");
        this.settings.put("AUTH_TOKEN_SECRET", TOKEN_SECRET);
        this.settings.put("SSE_MIN_START_INTERVAL", "1"); // tests open streams back to back; LimitsTest sets its own
        for (int i = 0; i + 1 < settings.length; i += 2) {
            this.settings.put(settings[i], settings[i + 1]);
        }
    }

    /** A fresh database and a server with {@code settings} (name, value, name, value...). */
    public static TestServer start(String... settings) throws Exception {
        return startOn(TestDatabase.create(), settings);
    }

    /** Another server on the same database: a second instance. */
    public static TestServer startOn(String databaseUrl, String... settings) throws Exception {
        TestServer server = new TestServer(databaseUrl, settings);
        server.launch();
        return server;
    }

    /** A server started before a test class and stopped after it (see above). */
    public static TestServer forClass(String... settings) {
        return new TestServer(null, settings);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        databaseUrl = TestDatabase.create();
        launch();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    private void launch() throws Exception {
        settings.put("DATABASE_URL", databaseUrl);
        tomcat = EmbeddedTomcat.start(0, settings);
        awaitReady(tomcat.url());
    }

    /** Until /health/ready says so: the ChangeFeed connects a moment after the application starts. */
    public static void awaitReady(String url) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (http.send(HttpRequest.newBuilder(URI.create(url + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the server at " + url + " did not become ready");
                }
                Thread.sleep(20);
            }
        }
    }

    public String databaseUrl() {
        return databaseUrl;
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
        awaitReady(tomcat.url());
    }

    /** The instance's open streams, as /health/ready counts them. */
    public int activeStreams() {
        return RestAssured.given().when().get(url() + "/health/ready").then().extract().path("activeStreams");
    }

    /** Waits up to {@code timeout} for {@code expected} open streams; returns the last count seen. */
    public int awaitActiveStreams(int expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int count;
        while ((count = activeStreams()) != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return count;
    }

    /** One sample of this instance's /metrics (read as ops, who holds the metrics role), e.g. {@code name{label="v"}}; 0 when absent. */
    public double metric(String sample) {
        String text = RestAssured.given().header("Authorization", SseClient.basic("ops")).when().get(url() + "/metrics")
                .then().statusCode(200).extract().asString();
        Matcher value = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(text);
        return value.find() ? Double.parseDouble(value.group(1)) : 0;
    }

    public Connection sql() throws SQLException {
        return TestDatabase.connect(databaseUrl());
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
