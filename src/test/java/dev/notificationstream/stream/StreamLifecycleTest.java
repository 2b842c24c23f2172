package dev.notificationstream.stream;

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

    @Test
    void a_client_that_goes_away_is_noticed_by_the_next_heartbeats() throws Exception {
        SseClient alice = SseClient.open(server.url(), "/events", "alice", null);
        alice.awaitCursor(Duration.ofSeconds(10));
        assertEquals(1, server.awaitActiveStreams(1, Duration.ofSeconds(5)));
        alice.close();
        assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(5)));
    }

    @Test
    void a_client_that_stops_reading_is_cut_off_and_can_resume_later() throws Exception {
        try (Socket stuck = SseClient.openAndNeverRead("bob", server.tomcat().port())) {
            assertEquals(1, server.awaitActiveStreams(1, Duration.ofSeconds(5)));
            server.execute("INSERT INTO notifications (title, body) SELECT 'big ' || g, repeat('x', 8000) FROM generate_series(1, 1000) g");
            // Stalled for two heartbeats (2 s here): the server ends the stream.
            assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(15)));
        }
    }
}
