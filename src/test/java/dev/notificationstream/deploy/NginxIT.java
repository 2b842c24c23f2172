package dev.notificationstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notificationstream.launch.TomcatDistribution;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real nginx (Debian's nginx-light) with the reference configuration deploy/nginx, in front of
 * two Tomcat 11 distributions sharing one PostgreSQL.
 */
class NginxIT {

    private static final Path NGINX = Path.of("/usr/sbin/nginx");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static String databaseUrl;
    private static TomcatDistribution a;
    private static TomcatDistribution b;
    private static Process nginx;
    private static String proxy;

    @BeforeAll
    static void start() throws Exception {
        // Like the browser tests: skipped on a machine without nginx, a failure in CI (.ci/run installs it).
        assumeTrue(Files.isExecutable(NGINX) || System.getenv("CI") != null, "nginx is not installed: apt-get install nginx-light");
        assertTrue(Files.isExecutable(NGINX), "needs nginx: apt-get install nginx-light (.ci/run does)");
        databaseUrl = TestDatabase.create();
        Map<String, String> settings = Map.of("DATABASE_URL", databaseUrl, "SSE_HEARTBEAT_INTERVAL", "1", "FEED_SAFETY_INTERVAL", "2");
        a = start("a", settings);
        b = start("b", settings);

        Path dir = Files.createDirectories(Path.of("target/it-nginx/nginx")).toAbsolutePath();
        int port = TomcatDistribution.freePort();
        String site = Files.readString(Path.of("deploy/nginx/notification-stream.conf"))
                .replace("server 10.0.0.11:8080", "server 127.0.0.1:" + a.port())
                .replace("server 10.0.0.12:8080", "server 127.0.0.1:" + b.port())
                .replace("listen 80;", "listen 127.0.0.1:" + port + ";");
        Files.writeString(dir.resolve("notification-stream.conf"), site);
        Files.writeString(dir.resolve("nginx.conf"), """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log info;
                events { worker_connections 512; }
                http {
                    access_log %1$s/access.log;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    include %1$s/notification-stream.conf;
                }
                """.formatted(dir));
        nginx = new ProcessBuilder(NGINX.toString(), "-p", dir.toString(), "-e", dir.resolve("error.log").toString(),
                "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("console.log").toFile()).start();
        proxy = "http://127.0.0.1:" + port;
        awaitProxy();
    }

    private static TomcatDistribution start(String name, Map<String, String> settings) throws Exception {
        Path base = TomcatDistribution.prepare(Path.of("target/it-nginx/tomcat-" + name), true);
        return TomcatDistribution.start(base, TomcatDistribution.freePort(), settings, base.resolve("logs/console.log"));
    }

    private static void awaitProxy() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                assertTrue(nginx.isAlive(), "nginx exited; see target/it-nginx/nginx/error.log");
                try {
                    if (http.send(HttpRequest.newBuilder(URI.create(proxy + "/health")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                        return;
                    }
                } catch (java.io.IOException notYet) {
                    // still starting
                }
                assertTrue(System.nanoTime() < deadline, "nginx did not answer");
                Thread.sleep(100);
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.destroy(); // SIGTERM: nginx's fast shutdown
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly();
            }
        }
        for (TomcatDistribution tomcat : new TomcatDistribution[] {a, b}) {
            if (tomcat != null) {
                tomcat.close();
            }
        }
    }

    @Test
    void events_arrive_through_the_proxy_one_by_one_not_in_a_burst() throws Exception {
        try (SseClient alice = SseClient.open(proxy, "/events", "alice", null)) {
            assertEquals(200, alice.status());
            alice.awaitCursor(WAIT);
            for (int i = 1; i <= 5; i++) {
                long inserted = System.nanoTime();
                execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'one by one " + i + "')");
                // Each event must be through before the next row exists: a buffering proxy would
                // hold them back and release several at once.
                JsonNode event = alice.notifications(1, Duration.ofSeconds(2)).getFirst();
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - inserted);
                assertEquals("one by one " + i, event.get("title").asText());
                assertTrue(millis < 1_000, "event " + i + " took " + millis + " ms through nginx");
                Thread.sleep(200);
            }
        }
    }

    @Test
    void the_proxy_never_compresses_a_stream_a_browser_would_accept_gzip_for() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest events = HttpRequest.newBuilder(URI.create(proxy + "/events"))
                    .header("Authorization", SseClient.basic("bob")).header("Accept-Encoding", "gzip, deflate, br").build();
            HttpResponse<java.io.InputStream> stream = http.send(events, HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream body = stream.body()) {
                assertEquals(200, stream.statusCode());
                assertEquals(java.util.Optional.empty(), stream.headers().firstValue("Content-Encoding"),
                        "gzip holds small events back until its buffer fills");
                assertEquals('r', body.read(), "the stream starts with its retry: line, in clear text");
            }
        }
    }

    @Test
    void a_row_reaches_clients_on_both_instances() throws Exception {
        try (SseClient onA = SseClient.open(a.url(), "/events", "alice", null);
                SseClient onB = SseClient.open(b.url(), "/events", "bob", null);
                SseClient viaProxy = SseClient.open(proxy, "/events", "bob", null)) {
            onA.awaitCursor(WAIT);
            onB.awaitCursor(WAIT);
            viaProxy.awaitCursor(WAIT);
            execute("INSERT INTO notifications (title) VALUES ('to everyone')");
            assertEquals("to everyone", onA.notifications(1, WAIT).getFirst().get("title").asText());
            assertEquals("to everyone", onB.notifications(1, WAIT).getFirst().get("title").asText());
            assertEquals("to everyone", viaProxy.notifications(1, WAIT).getFirst().get("title").asText());
        }
    }

    @Test
    void a_client_moving_to_the_other_instance_with_its_last_event_id_loses_nothing() throws Exception {
        String lastEventId;
        try (SseClient onA = SseClient.open(a.url(), "/events", "alice", null)) {
            onA.awaitCursor(WAIT);
            execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'seen on a')");
            assertEquals("seen on a", onA.notifications(1, WAIT).getFirst().get("title").asText());
            lastEventId = onA.lastEventId();
        }
        // Away: rows committed while no instance holds alice's stream.
        execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'missed 1'), ('alice', 'missed 2')");
        execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'missed 3')");
        try (SseClient onB = SseClient.open(b.url(), "/events", "alice", lastEventId)) {
            assertEquals(List.of("missed 1", "missed 2", "missed 3"), titles(onB.notifications(3, WAIT)));
            execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'live on b')");
            assertEquals(List.of("live on b"), titles(onB.notifications(1, WAIT)));
            assertEquals(List.of(), titles(onB.drain(Duration.ofMillis(500))), "nothing twice");
        }
    }

    @Test
    void the_pages_own_read_mark_passes_the_origin_check_through_the_proxy_on_any_port() throws Exception {
        execute("INSERT INTO notifications (recipient, title) VALUES ('bob', 'to be read through nginx')");
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> poll = http.send(HttpRequest.newBuilder(URI.create(proxy + "/api/notifications?limit=1"))
                    .header("Authorization", SseClient.basic("bob")).build(), HttpResponse.BodyHandlers.ofString());
            long id = new com.fasterxml.jackson.databind.ObjectMapper().readTree(poll.body()).get("notifications").get(0).get("id").asLong();
            // What the inbox page's fetch sends from http://127.0.0.1:<port>/: the Origin of the page
            // (the proxy's port is not 80 here, as on any non-standard port).
            HttpResponse<String> mark = http.send(HttpRequest.newBuilder(URI.create(proxy + "/api/notifications/" + id + "/read"))
                    .header("Authorization", SseClient.basic("bob")).header("Origin", proxy).header("Sec-Fetch-Site", "same-origin")
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, mark.statusCode(), mark.body());
        }
    }

    private static List<String> titles(List<JsonNode> notifications) {
        return notifications.stream().map(n -> n.get("title").asText()).toList();
    }

    private static void execute(String sql) throws Exception {
        try (Connection connection = TestDatabase.connect(databaseUrl); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
