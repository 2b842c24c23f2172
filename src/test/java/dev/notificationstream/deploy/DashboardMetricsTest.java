package dev.notificationstream.deploy;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every metric the Grafana dashboard and the Prometheus alerts use is one a live /metrics exports. */
class DashboardMetricsTest {

    private static final Pattern NAME = Pattern.compile("\\b(?:notification_stream|jvm)_[a-z_]+\\b");

    @RegisterExtension
    static final TestServer server = TestServer.forClass();

    /** The metric names in the alerts' expressions and the dashboard's queries. */
    static Set<String> used() throws Exception {
        Set<String> names = new TreeSet<>();
        NAME.matcher(Files.readString(Path.of("deploy/prometheus/alerts.yml"))).results().forEach(m -> names.add(m.group()));
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("deploy/grafana/notification-stream.json").toFile());
        int queries = 0;
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                NAME.matcher(target.get("expr").asText()).results().forEach(m -> names.add(m.group()));
                queries++;
            }
        }
        assertTrue(queries >= 20, "the dashboard's panels have their queries: " + queries);
        return names;
    }

    /** The sample names /metrics shows now. */
    private static Set<String> exported() {
        String text = given().header("Authorization", SseClient.basic("ops")).when().get(server.url() + "/metrics")
                .then().statusCode(200).extract().asString();
        Set<String> names = new TreeSet<>();
        Matcher sample = Pattern.compile("(?m)^([a-z_]+)[{ ]").matcher(text);
        while (sample.find()) {
            names.add(sample.group(1));
        }
        return names;
    }

    @Test
    void every_metric_the_dashboard_and_the_alerts_use_is_exported() throws Exception {
        Set<String> used = used();
        assertTrue(used.contains("notification_stream_sse_rollout_ratio") && used.contains("jvm_memory_used_bytes"), used.toString());
        // Labelled series appear once something happened: a stream opened and ended, a row sent, a
        // poll, a client's report of a failure.
        try (SseClient stream = SseClient.open(server.url(), "/events", "alice", null)) {
            stream.awaitCursor(Duration.ofSeconds(10));
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'for the metrics')");
            stream.notifications(1, Duration.ofSeconds(10));
        }
        given().header("Authorization", SseClient.basic("alice")).when().get(server.url() + "/api/notifications").then().statusCode(200);
        given().header("Authorization", SseClient.basic("alice")).contentType("application/json")
                .body("{\"events\":[{\"type\":\"sse_failed\",\"reason\":\"no_events\"}]}")
                .when().post(server.url() + "/api/client-events").then().statusCode(204);
        Set<String> missing = new TreeSet<>(used);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        do {
            missing.removeAll(exported()); // the stream's end is seen at its next heartbeat
        } while (!missing.isEmpty() && System.nanoTime() < deadline && sleep());
        assertEquals(Set.of(), missing, "used by the dashboard or the alerts but not exported");
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(100);
        return true;
    }
}
