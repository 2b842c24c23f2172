package dev.notificationstream.stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.RawStream;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.catalina.Engine;
import org.apache.coyote.AbstractProtocol;
import org.apache.coyote.http11.upgrade.UpgradeProcessorInternal;
import org.apache.tomcat.util.net.AbstractEndpoint;
import org.apache.tomcat.util.net.ApplicationBufferHandler;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.SocketWrapperBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An HTTP/1.1 stream after the servlet handed its connection over (SocketStream): what goes over
 * the wire, and that the connection closes, at the TCP level, when either side ends the stream.
 */
class SocketStreamTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    // Heartbeats too rare to notice anything during a test: what these tests see comes from the socket.
    @RegisterExtension
    static final TestServer server = TestServer.forClass("SSE_HEARTBEAT_INTERVAL", "60");

    @Test
    void an_http11_stream_is_a_200_with_plain_sse_bytes_until_the_connection_closes() throws Exception {
        try (RawStream alice = new RawStream(server.tomcat().port(), "alice", "/events")) {
            assertTrue(alice.statusLine.startsWith("HTTP/1.1 200"), alice.statusLine);
            assertEquals("close", alice.headers.get("connection"));
            assertEquals("text/event-stream;charset=UTF-8", alice.headers.get("content-type"));
            assertEquals("no-cache, no-store", alice.headers.get("cache-control"));
            assertEquals("no", alice.headers.get("x-accel-buffering"));
            assertNull(alice.headers.get("transfer-encoding"), "no chunking: the body runs until the connection closes");
            assertNull(alice.headers.get("content-length"));
            assertNull(alice.headers.get("upgrade"));
            // The first bytes of the body are the event stream itself, not a chunk size.
            assertTrue(alice.readUntil(": connected\n\n", WAIT).startsWith("retry: 3000\n: connected\n\n"), alice.body());
            alice.awaitLive(WAIT);

            int live = alice.body().length();
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'over the raw socket')");
            String frame = alice.readUntil("\n\n", live, WAIT).substring(live);
            assertTrue(frame.matches("event: notification\ndata: \\{\"id\":[0-9]+,[^\n]*\"title\":\"over the raw socket\"[^\n]*}\nid: [^\n]+\n\n"), frame);
        }
    }

    /**
     * Reaches into Tomcat's internals (the endpoint's connections, the channel's read-buffer
     * handler): a Tomcat upgrade that renames them fails this test rather than the saving going
     * away unseen. Measured with 2,000 to 4,000 streams: 5 KiB of live heap per stream with the
     * handler cleared, 19-24 KiB without it (the recycled processors stay reachable).
     */
    @Test
    void a_handed_over_connection_keeps_nothing_of_its_request() throws Exception {
        try (RawStream alice = new RawStream(server.tomcat().port(), "alice", "/events")) {
            alice.awaitLive(WAIT);
            Engine engine = (Engine) server.tomcat().context().getParent().getParent();
            AbstractProtocol<?> protocol = (AbstractProtocol<?>) engine.getService().findConnectors()[0].getProtocolHandler();
            Method getEndpoint = AbstractProtocol.class.getDeclaredMethod("getEndpoint");
            getEndpoint.setAccessible(true);
            Method readHandler = NioChannel.class.getDeclaredMethod("getAppReadBufHandler");
            readHandler.setAccessible(true);
            AbstractEndpoint<?, ?> endpoint = (AbstractEndpoint<?, ?>) getEndpoint.invoke(protocol);
            // Tomcat files the upgrade processor as the connection's own once init and the first
            // dispatch have returned, which may be just after the client has read the replay.
            long deadline = System.nanoTime() + WAIT.toNanos();
            int streams = 0;
            while (streams == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
                for (SocketWrapperBase<?> connection : endpoint.getConnections()) {
                    if (connection.getCurrentProcessor() instanceof UpgradeProcessorInternal) {
                        streams++;
                        // Http11InputBuffer, the request's, would keep its recycled processor reachable.
                        assertEquals(ApplicationBufferHandler.EMPTY, readHandler.invoke(connection.getSocket()));
                    }
                }
            }
            assertEquals(1, streams);
        }
    }

    @Test
    void a_client_that_closes_its_socket_is_noticed_at_once_not_at_a_heartbeat() throws Exception {
        RawStream bob = new RawStream(server.tomcat().port(), "bob", "/events");
        bob.awaitLive(WAIT);
        assertEquals(1, server.awaitActiveStreams(1, Duration.ofSeconds(5)));
        bob.close();
        assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(3)), "the stream ended when its client left (heartbeats: every 60 s)");
    }

    @Test
    void a_stream_request_with_an_upgrade_header_stays_an_async_request() throws Exception {
        // Tomcat would keep a statistics entry for each protocol name a client put there.
        try (RawStream bob = new RawStream(server.tomcat().port(), "bob", "/events", "Upgrade: made-up-1\r\nConnection: Upgrade\r\n")) {
            assertTrue(bob.statusLine.startsWith("HTTP/1.1 200"), bob.statusLine);
            assertEquals("chunked", bob.headers.get("transfer-encoding"));
            assertTrue(bob.readUntil(": connected", WAIT).contains("retry: 3000\n: connected"));
        }
    }

    @Test
    void bytes_a_client_sends_after_its_request_are_read_and_ignored() throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.tomcat().port()));
            OutputStream out = socket.getOutputStream();
            out.write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + SseClient.basic("alice")
                    + "\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout(10_000);
            String head = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 200", head);
            assertEquals(1, server.awaitActiveStreams(1, Duration.ofSeconds(5)));
            out.write("more bytes nobody asked for\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(300);
            assertEquals(1, server.activeStreams(), "the stream stays open");
        }
        assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(3)));
    }

    /**
     * The replay goes out through the response, on either transport, with the container's blocking
     * writes: a write that makes no progress for the connector's connectionTimeout (20 s, as
     * server.xml) fails, and the stream ends; the client resumes from what it got.
     */
    @Test
    void a_client_that_stops_reading_during_its_replay_is_let_go_after_the_connection_timeout() throws Exception {
        try (TestServer stalling = TestServer.start()) {
            String cursor = given().header("Authorization", SseClient.basic("alice")).when().get(stalling.url() + "/api/notifications")
                    .then().statusCode(200).extract().jsonPath().getString("cursor");
            // Far more than the socket buffers hold: the replay's blocking writes stall.
            stalling.execute("INSERT INTO notifications (title, body) SELECT 'big ' || g, repeat('x', 8000) FROM generate_series(1, 1000) g");
            try (Socket stuck = new Socket()) {
                stuck.setReceiveBufferSize(4096);
                stuck.connect(new InetSocketAddress("127.0.0.1", stalling.tomcat().port()));
                stuck.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + SseClient.basic("alice")
                        + "\r\nLast-Event-ID: " + cursor + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                assertEquals(1, stalling.awaitActiveStreams(1, Duration.ofSeconds(5)));
                long start = System.nanoTime();
                assertEquals(0, stalling.awaitActiveStreams(0, Duration.ofSeconds(40)));
                long seconds = (System.nanoTime() - start) / 1_000_000_000;
                assertTrue(seconds >= 15 && seconds < 35, "let go after " + seconds + " s");
            }
        }
    }

    @Test
    void a_stopping_server_says_goodbye_and_closes_the_connection() throws Exception {
        TestServer stopping = TestServer.start("SSE_RETRY_INTERVAL", "4000");
        try (RawStream alice = new RawStream(stopping.tomcat().port(), "alice", "/events")) {
            alice.awaitLive(WAIT);
            // The replay's end shows on the wire a moment before the connection is handed over; a
            // stop (the connector pauses first) in that moment closes the connection instead of
            // handing it over. A live row shows the stream is held.
            stopping.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'live')");
            alice.readUntil("\"title\":\"live\"", WAIT);
            stopping.stop();
            assertTrue(alice.awaitEnd(Duration.ofSeconds(5)), "closed by the stop");
            assertTrue(alice.body().matches("(?s).*\nretry: [0-9]+\n: server is stopping, come back later\n\n"), alice.body());
        } finally {
            stopping.close();
        }
    }
}
