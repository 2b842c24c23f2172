package dev.notificationstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notificationstream.launch.TomcatDistribution;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestDatabase;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The built WAR deployed into the real Tomcat 11.0.24 distribution with tomcat-conf, as an operator
 * would: settings from the environment through context.xml, the demo users in the context. The
 * tests run in order on one Tomcat; the last one undeploys it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TomcatDistributionIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** autoDeploy looks at the files every 10 s (the Engine's backgroundProcessorDelay), then redeploys. */
    private static final Duration REDEPLOY = Duration.ofSeconds(40);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String databaseUrl;
    private static TomcatDistribution tomcat;
    private static Path console;
    private static HttpClient http;

    @BeforeAll
    static void deploy() throws Exception {
        databaseUrl = TestDatabase.create();
        Path base = TomcatDistribution.prepare(Path.of("target/it-tomcat"), true);
        console = base.resolve("logs/console.log");
        tomcat = TomcatDistribution.start(base, TomcatDistribution.freePort(), Map.of(
                "DATABASE_URL", databaseUrl,
                "SSE_HEARTBEAT_INTERVAL", "1",
                "FEED_SAFETY_INTERVAL", "2",
                "SSE_RETRY_INTERVAL", "500"), console);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (tomcat != null) {
            tomcat.close();
        }
        if (http != null) {
            http.close();
        }
    }

    @Test
    @Order(1)
    void requests_run_on_virtual_threads() throws Exception {
        JsonNode health = JSON.readTree(get("/health", null, Map.of()).body());
        assertTrue(health.get("virtualThreads").asBoolean(), "GET /health ran on a virtual thread: " + health);
        HttpResponse<String> ready = get("/health/ready", null, Map.of());
        assertEquals(200, ready.statusCode(), ready.body());
        // The Tomcat this build was made against: the lean connector and the hand-over are on (OtherTomcatIT: off elsewhere).
        assertFalse(read(console).contains("LeanHttp11NioProtocol:"), read(console));
        assertFalse(read(console).contains("not handed over"), read(console));
    }

    @Test
    @Order(1)
    void errors_tomcat_answers_itself_are_json_without_details() throws Exception {
        HttpResponse<String> tooLong = get("/api/config", "alice", Map.of("X-Padding", "x".repeat(20_000)));
        assertEquals(400, tooLong.statusCode());
        assertTrue(tooLong.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), tooLong.body());
        assertFalse(tooLong.body().contains("Tomcat") || tooLong.body().contains("java."), tooLong.body());
    }

    @Test
    @Order(1)
    void the_access_log_is_access_dot_date_dot_log_and_gives_each_request_its_milliseconds() throws Exception {
        String probe = "access-log-probe-" + System.nanoTime();
        long asked = System.nanoTime();
        get("/health?" + probe, null, Map.of());
        long elapsedMs = (System.nanoTime() - asked) / 1_000_000;
        Path log = tomcat.base().resolve("logs/access." + java.time.LocalDate.now() + ".log");
        // buffered="true": Tomcat writes the buffer out in its background process, every 10 s
        await(() -> read(log).contains(probe), Duration.ofSeconds(30), probe + " in " + log);
        String line = lines(read(log), probe).strip();
        Matcher took = Pattern.compile(" (\\d+)ms last-event-id=").matcher(line);
        assertTrue(took.find(), line);
        // The server's time is within what the client waited: a figure in microseconds would be ~1000 times more.
        assertTrue(Long.parseLong(took.group(1)) <= elapsedMs, line + " (the client waited " + elapsedMs + " ms)");
    }

    @Test
    @Order(2)
    void a_row_inserted_with_sql_reaches_an_open_stream() throws Exception {
        try (SseClient alice = SseClient.open(tomcat.url(), "/events", "alice", null)) {
            assertEquals(200, alice.status());
            alice.awaitCursor(WAIT);
            execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'deployed for real')");
            assertEquals("deployed for real", alice.notifications(1, WAIT).getFirst().get("title").asText());
        }
    }

    @Test
    @Order(3)
    void the_connector_gzips_json_but_never_an_event_stream() throws Exception {
        execute("INSERT INTO notifications (recipient, title, body) SELECT 'bob', 'long ' || g, repeat('x', 200) FROM generate_series(1, 30) g");
        HttpResponse<String> poll = get("/api/notifications?limit=100", "bob", Map.of("Accept-Encoding", "gzip"));
        assertEquals(200, poll.statusCode());
        assertEquals("gzip", poll.headers().firstValue("Content-Encoding").orElse(null), "a 6 KiB JSON answer is compressed");

        HttpRequest events = HttpRequest.newBuilder(URI.create(tomcat.url() + "/events"))
                .header("Authorization", SseClient.basic("bob")).header("Accept-Encoding", "gzip").build();
        HttpResponse<InputStream> stream = http.send(events, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = stream.body()) {
            assertEquals(200, stream.statusCode());
            assertFalse(stream.headers().firstValue("Content-Encoding").isPresent(), "text/event-stream is sent as is");
            assertEquals('r', body.read(), "the stream starts with its retry: line, in clear text");
        }
    }

    @Test
    @Order(4)
    void switching_ENABLE_SSE_in_the_deployed_context_xml_moves_clients_between_modes_losing_nothing() throws Exception {
        Path descriptor = tomcat.base().resolve("conf/Catalina/localhost/ROOT.xml");
        String original = Files.readString(descriptor);
        assertTrue(original.contains("value=\"${ENABLE_SSE:-true}\""));

        // Streaming, then the operator turns SSE off while a row is being inserted.
        List<String> received = new ArrayList<>();
        String cursor;
        try (SseClient alice = SseClient.open(tomcat.url(), "/events", "alice", null)) {
            alice.awaitCursor(WAIT);
            execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'before the switch')");
            received.add(alice.notifications(1, WAIT).getFirst().get("title").asText());
            int retriesBefore = alice.retries();

            Files.writeString(descriptor, original.replace("value=\"${ENABLE_SSE:-true}\"", "value=\"false\""));
            execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'during the switch')");
            // The stream goes on until the reload (which may deliver the row), then ends politely:
            // a retry: line, then the end.
            SseClient.Event event;
            long deadline = System.nanoTime() + REDEPLOY.toNanos();
            while ((event = alice.next(Duration.ofSeconds(1))) == null || !event.type().equals("closed")) {
                if (event != null && event.type().equals("notification")) {
                    received.add(event.json().get("title").asText());
                }
                assertTrue(System.nanoTime() < deadline, "the stream ended on the reload");
            }
            assertEquals(retriesBefore + 1, alice.retries(), "it ended with a retry: line");
            cursor = alice.lastEventId();
        }

        // The client comes back: SSE now answers "poll instead"; polling from its cursor gets what it missed.
        await(() -> sseAnswers(503), REDEPLOY, "/events answers 503 sse_disabled");
        JsonNode refusal = JSON.readTree(get("/events", "alice", Map.of("Accept", "text/event-stream")).body());
        assertEquals("sse_disabled", refusal.get("error").asText());
        JsonNode poll = JSON.readTree(get("/api/notifications?cursor=" + cursor, "alice", Map.of()).body());
        received.addAll(titles(poll));
        String pollCursor = poll.get("cursor").asText();

        // And back: a row inserted while polling reaches the client that resumes over SSE with the poll's cursor.
        Files.writeString(descriptor, original);
        execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'back to streaming')");
        await(() -> sseAnswers(200), REDEPLOY, "/events streams again");
        try (SseClient alice = SseClient.open(tomcat.url(), "/events", "alice", pollCursor)) {
            assertEquals(200, alice.status());
            received.add(alice.notifications(1, WAIT).getFirst().get("title").asText());
            alice.drain(Duration.ofMillis(500)).forEach(n -> received.add(n.get("title").asText()));
        }
        assertEquals(List.of("before the switch", "during the switch", "back to streaming"), received,
                "every row once, in order, across both modes");
    }

    @Test
    @Order(5)
    void undeploy_closes_the_listen_connection_and_leaks_no_thread_or_driver() throws Exception {
        assertEquals(1, listenConnections(), "one LISTEN connection while deployed");
        Files.delete(tomcat.base().resolve("conf/Catalina/localhost/ROOT.xml"));
        Files.delete(tomcat.base().resolve("webapps/ROOT.war"));
        await(() -> {
            try {
                return get("/health", null, Map.of()).statusCode() == 404;
            } catch (Exception e) {
                return false;
            }
        }, REDEPLOY, "Tomcat undeploys the application");
        await(() -> listenConnections() == 0, WAIT, "the LISTEN connection closed");
        assertEquals(0, connections("notification-stream"), "the pool's connections closed");

        String log = TomcatDistribution.read(console);
        for (String leak : List.of("failed to unregister", "appears to have started a thread", "memory leak",
                "ThreadLocal with key", "SEVERE")) {
            assertFalse(log.contains(leak), "Tomcat logged '" + leak + "':\n" + lines(log, leak));
        }
        assertTrue(log.contains("notification-stream stopped"), "the application stopped itself");
    }

    /** Whether GET /events answers {@code status}; reads no body (an open stream never ends). */
    private static boolean sseAnswers(int status) {
        try (SseClient probe = SseClient.open(tomcat.url(), "/events", "alice", null)) {
            return probe.status() == status;
        } catch (Exception notYet) {
            return false;
        }
    }

    private static long listenConnections() {
        return connections("notification-stream-listener");
    }

    private static long connections(String applicationName) {
        try (Connection sql = TestDatabase.connect(databaseUrl);
                PreparedStatement count = sql.prepareStatement(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?")) {
            count.setString(1, applicationName);
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void execute(String sql) throws Exception {
        try (Connection connection = TestDatabase.connect(databaseUrl); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static HttpResponse<String> get(String path, String user, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(tomcat.url() + path)).timeout(WAIT);
        if (user != null) {
            request.header("Authorization", SseClient.basic(user));
        }
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> titles(JsonNode poll) {
        return poll.get("notifications").valueStream().map(n -> n.get("title").asText()).toList();
    }

    private static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what);
            }
            Thread.sleep(200);
        }
    }

    private static String read(Path file) {
        try {
            return TomcatDistribution.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String lines(String log, String containing) {
        return log.lines().filter(line -> line.contains(containing)).reduce("", (a, b) -> a + b + "\n");
    }
}
