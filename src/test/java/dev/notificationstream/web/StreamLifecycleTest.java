package dev.notificationstream.web;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The server lets go of streams nobody reads: a closed client, and one that stopped reading. */
class StreamLifecycleTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass(); // heartbeat every second

    private static int activeStreams() {
        return given().when().get(server.url() + "/health/ready").then().statusCode(200).extract().path("activeStreams");
    }

    /** Waits up to {@code seconds} for the count; returns the last count seen. */
    private static int awaitActiveStreams(int expected, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        int count;
        while ((count = activeStreams()) != expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return count;
    }

    @Test
    void a_client_that_goes_away_is_noticed_by_the_next_heartbeats() throws Exception {
        SseClient alice = SseClient.open(server.url(), "/events", "alice", null);
        alice.awaitCursor(Duration.ofSeconds(10));
        assertEquals(1, awaitActiveStreams(1, 5));
        alice.close();
        assertEquals(0, awaitActiveStreams(0, 5));
    }

    @Test
    void a_client_that_stops_reading_is_cut_off_and_can_resume_later() throws Exception {
        try (Socket stuck = SseClient.openAndNeverRead("bob", server.tomcat().port())) {
            assertEquals(1, awaitActiveStreams(1, 5));
            server.execute("INSERT INTO notifications (title, body) SELECT 'big ' || g, repeat('x', 8000) FROM generate_series(1, 1000) g");
            // Stalled for two heartbeats (2 s here): the server ends the stream.
            assertEquals(0, awaitActiveStreams(0, 15));
        }
    }
}
