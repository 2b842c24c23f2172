package dev.notificationstream.deploy;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notificationstream.launch.TomcatDistribution;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus (Debian's 2.42) with deploy/prometheus/alerts.yml scrapes the service as the
 * metrics user; the brake trips on reported fallbacks, and Prometheus fires the brake's alert.
 */
class PrometheusIT {

    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestServer server;
    private static Process prometheus;
    private static String api;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        // Like the browser tests: skipped without Prometheus, a failure in CI (.ci/run installs it).
        assumeTrue(Files.isExecutable(PROMETHEUS) || System.getenv("CI") != null, "Prometheus is not installed: apt-get install prometheus");
        assertTrue(Files.isExecutable(PROMETHEUS), "needs Prometheus: apt-get install prometheus (.ci/run does)");
        server = TestServer.start("SSE_BRAKE_MIN_CLIENTS", "1", "SSE_BRAKE_THRESHOLD", "1");

        Path dir = Files.createDirectories(Path.of("target/it-prometheus")).toAbsolutePath();
        Files.writeString(dir.resolve("password"), "ops-password");
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - %s
                scrape_configs:
                  - job_name: notification-stream
                    metrics_path: /metrics
                    basic_auth: {username: ops, password_file: %s}
                    static_configs:
                      - targets: ['%s']
                """.formatted(Path.of("deploy/prometheus/alerts.yml").toAbsolutePath(), dir.resolve("password"),
                URI.create(server.url()).getAuthority()));
        int port = TomcatDistribution.freePort();
        prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + Files.createTempDirectory(dir, "data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        api = "http://127.0.0.1:" + port + "/api/v1/";
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor(10, TimeUnit.SECONDS);
        }
        if (http != null) {
            http.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Asks Prometheus's HTTP API until {@code until} holds for its data; returns that data. */
    private static JsonNode await(String path, String what, Predicate<JsonNode> until) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode data = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(api + path)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    data = JSON.readTree(response.body()).get("data");
                    if (until.test(data)) {
                        return data;
                    }
                }
            } catch (java.io.IOException notUpYet) {
                // Prometheus is still starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Prometheus: " + what + "; last answer " + data);
    }

    @Test
    void prometheus_scrapes_the_service_as_the_metrics_user_and_fires_the_brake_alert() throws Exception {
        JsonNode targets = await("targets", "the target is up", data -> data.path("activeTargets").path(0).path("health").asText().equals("up"));
        assertEquals("notification-stream", targets.path("activeTargets").path(0).path("labels").path("job").asText());
        await("query?query=notification_stream_sse_rollout_ratio", "the share scraped", data -> data.path("result").path(0).path("value").path(1).asText().equals("1"));
        await("rules", "the alert rules loaded", data -> data.path("groups").path(0).path("rules").size() == 5);

        given().header("Authorization", SseClient.basic("alice")).contentType("application/json")
                .body("{\"events\":[{\"type\":\"sse_opened\",\"reason\":\"none\"},{\"type\":\"sse_fallback\",\"reason\":\"http_status\"}]}")
                .when().post(server.url() + "/api/client-events").then().statusCode(204);

        JsonNode alerts = await("alerts", "NotificationStreamSseBrakeTripped fires", data -> {
            for (JsonNode alert : data.path("alerts")) {
                if (alert.path("labels").path("alertname").asText().equals("NotificationStreamSseBrakeTripped")
                        && alert.path("state").asText().equals("firing")) {
                    return true;
                }
            }
            return false;
        });
        System.out.println("prometheus alerts: " + alerts);
        await("query?query=notification_stream_sse_rollout_ratio", "the share dropped to 0", data -> data.path("result").path(0).path("value").path(1).asText().equals("0"));
    }
}
