package dev.notificationstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.net.http.HttpClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An HTTP/2 stream cannot hand its connection over (other streams share it): it stays an async
 * request (SseStream). Over h2c here, which the embedded connector accepts as browsers' TLS
 * HTTP/2 would be.
 */
class Http2StreamTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestServer server = TestServer.forClass();

    @Test
    void an_http2_stream_gets_its_replay_and_live_rows_and_ends_when_the_client_leaves() throws Exception {
        server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'before')");
        try (SseClient alice = SseClient.open(HttpClient.Version.HTTP_2, server.url(), "/events?last_n=1", "alice", null)) {
            assertEquals(200, alice.status());
            assertEquals(HttpClient.Version.HTTP_2, alice.response().version());
            assertEquals("text/event-stream;charset=UTF-8", alice.response().headers().firstValue("Content-Type").orElseThrow());
            assertEquals("before", alice.notifications(1, WAIT).getFirst().get("title").asText());
            alice.awaitCursor(WAIT);
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'live over h2c')");
            assertEquals("live over h2c", alice.notifications(1, WAIT).getFirst().get("title").asText());
            assertEquals(1, server.activeStreams());
        }
        // The async path notices a client that left when a write fails: at the next heartbeats (1 s here).
        assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(10)));
    }
}
