package dev.notificationstream.deploy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.launch.EmbeddedTomcat;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestDatabase;
import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.tomcat.util.descriptor.web.ContextResource;
import org.junit.jupiter.api.Test;

/** The pool may be the container's: a DataSource jdbc/notifications in context.xml instead of DATABASE_URL. */
class ContainerDataSourceTest {

    @Test
    void the_service_runs_on_the_containers_datasource_with_its_own_listen_connection() throws Exception {
        String url = TestDatabase.create();
        Map<String, String> settings = Map.of("LISTEN_DATABASE_URL", url, "SSE_HEARTBEAT_INTERVAL", "1");
        try (EmbeddedTomcat tomcat = EmbeddedTomcat.start(0, settings, context -> {
            // What tomcat-conf/context.xml's commented <Resource> declares: HikariCP's JNDI factory.
            ContextResource pool = new ContextResource();
            pool.setName("jdbc/notifications");
            pool.setType(DataSource.class.getName());
            pool.setAuth("Container");
            pool.setProperty("factory", "com.zaxxer.hikari.HikariJNDIFactory");
            pool.setProperty("driverClassName", "org.postgresql.Driver");
            pool.setProperty("jdbcUrl", url);
            pool.setProperty("maximumPoolSize", "4");
            context.getNamingResources().addResource(pool);
        })) {
            TestServer.awaitReady(tomcat.url());
            given().when().get(tomcat.url() + "/health/ready").then().statusCode(200).body("database", equalTo("UP"));
            try (SseClient alice = SseClient.open(tomcat.url(), "/events", "alice", null);
                    Connection connection = TestDatabase.connect(url);
                    Statement sql = connection.createStatement()) {
                alice.awaitCursor(Duration.ofSeconds(10));
                sql.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'through the container pool')");
                assertEquals("through the container pool",
                        alice.notifications(1, Duration.ofSeconds(10)).getFirst().get("title").asText());
            }
        }
    }
}
