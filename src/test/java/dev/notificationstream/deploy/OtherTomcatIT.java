package dev.notificationstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.launch.TomcatDistribution;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestDatabase;
import dev.notificationstream.tomcat.BuiltAgainst;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * On a Tomcat other than the one this build was made against, the connector and the stream
 * hand-over say so once and take Tomcat's standard path, and streams still work. The other Tomcat
 * is the distribution with lib/org/apache/catalina/util/ServerInfo.properties naming another
 * version: Tomcat's own way to change what it reports, and all the application can see.
 */
class OtherTomcatIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void on_another_tomcat_the_connector_and_the_hand_over_refuse_clearly_and_streams_take_the_standard_path() throws Exception {
        String databaseUrl = TestDatabase.create();
        Path base = TomcatDistribution.prepare(Path.of("target/it-other-tomcat"), true);
        Path info = base.resolve("lib/org/apache/catalina/util/ServerInfo.properties");
        Files.createDirectories(info.getParent());
        Files.writeString(info, "server.info=Apache Tomcat/11.0.99\nserver.number=11.0.99.0\nserver.built=Jan 1 2027 00:00:00 UTC\n");
        Path console = base.resolve("logs/console.log");
        try (TomcatDistribution tomcat = TomcatDistribution.start(base, TomcatDistribution.freePort(),
                Map.of("DATABASE_URL", databaseUrl, "SSE_HEARTBEAT_INTERVAL", "1"), console)) {
            String why = "built against Tomcat " + BuiltAgainst.VERSION + ", running on 11.0.99";
            String log = TomcatDistribution.read(console);
            assertTrue(log.contains("LeanHttp11NioProtocol: " + why + ": using Tomcat's own buffers"), log);
            assertTrue(log.contains("HTTP/1.1 streams stay async requests, not handed over"), log);
            assertTrue(log.contains(why), log);

            try (SseClient alice = SseClient.open(tomcat.url(), "/events", "alice", null)) {
                assertEquals(200, alice.status());
                assertEquals("chunked", alice.response().headers().firstValue("Transfer-Encoding").orElse("(none)"),
                        "an async response, chunked; a handed-over one has none and ends with the connection");
                alice.awaitCursor(WAIT);
                try (Connection sql = TestDatabase.connect(databaseUrl); Statement insert = sql.createStatement()) {
                    insert.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'on another Tomcat')");
                }
                assertEquals("on another Tomcat", alice.notifications(1, WAIT).getFirst().get("title").asText());
            }
        }
    }
}
