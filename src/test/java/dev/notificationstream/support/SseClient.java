package dev.notificationstream.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test's SSE client: parses the stream as the HTML spec says (event, data, id, comments) and
 * keeps the last event id, as a browser's EventSource would for its reconnect.
 */
public final class SseClient implements AutoCloseable {

    public record Event(String type, String id, String data) {
        public JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Event CLOSED = new Event("closed", null, null);

    private final HttpClient http;
    private final HttpResponse<InputStream> response;
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile String lastEventId;
    private volatile int keepAlives;
    private volatile int comments;
    private volatile int retries;

    private SseClient(HttpClient http, HttpResponse<InputStream> response) {
        this.http = http;
        this.response = response;
        if (response.statusCode() == 200) {
            Thread.ofVirtual().start(this::read);
        }
    }

    /** Opens {@code base + path} as {@code user} (password: the demo one), with Last-Event-ID if given. */
    public static SseClient open(String base, String path, String user, String lastEventId) throws Exception {
        return open(HttpClient.Version.HTTP_1_1, base, path, user, lastEventId);
    }

    /** As above over {@code version}: HTTP_2 on an http:// URL upgrades the connection to h2c. */
    public static SseClient open(HttpClient.Version version, String base, String path, String user, String lastEventId) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(version).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "text/event-stream");
        if (user != null) {
            request.header("Authorization", basic(user));
        }
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return new SseClient(http, http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    /** Opens {@code base + path} with the given headers (name, value, ...): a token instead of a password. */
    public static SseClient openWithHeaders(String base, String path, String... headers) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "text/event-stream");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return new SseClient(http, http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    /** A stream request whose response is never read, through a small receive buffer: a stuck client. */
    public static Socket openAndNeverRead(String user, int port) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        OutputStream out = socket.getOutputStream();
        out.write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + basic(user) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    public static String basic(String user) {
        String credentials = user + ":" + user + "-password";
        return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }

    public int status() {
        return response.statusCode();
    }

    public HttpResponse<InputStream> response() {
        return response;
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String type = null;
            String id = null;
            StringBuilder data = null;
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.isEmpty()) {
                    if (id != null) {
                        lastEventId = id;
                    }
                    if ("cursor".equals(type)) {
                        keepAlives++;
                    }
                    if (data != null) {
                        events.add(new Event(type == null ? "message" : type, id, data.toString()));
                    }
                    type = null;
                    id = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    keepAlives++;
                    comments++;
                } else if (line.startsWith("retry:")) {
                    retries++;
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).strip();
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("data:")) {
                    String value = line.substring(5).stripLeading();
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
        } catch (IOException closed) {
            // the stream ended
        } finally {
            events.add(CLOSED);
        }
    }

    /** The next event of any type, or null when none arrives in time; type "closed" when the stream ended. */
    public Event next(Duration timeout) throws InterruptedException {
        return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits for {@code count} notification events and returns their JSON; fails on timeout or end of stream. */
    public List<JsonNode> notifications(int count, Duration timeout) throws InterruptedException {
        List<JsonNode> received = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.size() < count) {
            Event event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (event == null || event == CLOSED) {
                throw new AssertionError("got " + received.size() + " of " + count + " notifications before "
                        + (event == null ? "the timeout" : "the stream ended"));
            }
            if (event.type().equals("notification")) {
                received.add(event.json());
            }
        }
        return received;
    }

    /** Collects notifications until none has arrived for {@code quiet} (heartbeats do not count). */
    public List<JsonNode> drain(Duration quiet) throws InterruptedException {
        List<JsonNode> received = new ArrayList<>();
        long deadline = System.nanoTime() + quiet.toNanos();
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            Event event = events.poll(left, TimeUnit.NANOSECONDS);
            if (event == CLOSED) {
                break;
            }
            if (event != null && event.type().equals("notification")) {
                received.add(event.json());
                deadline = System.nanoTime() + quiet.toNanos();
            }
        }
        return received;
    }

    /** Waits until an event with an id (the cursor) has arrived; returns that id. */
    public String awaitCursor(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lastEventId == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return lastEventId;
    }

    public String lastEventId() {
        return lastEventId;
    }

    /** {@code retry:} lines received: one on connect, one more when the server ends the stream politely. */
    public int retries() {
        return retries;
    }

    /** Comments and cursor frames: what a quiet stream receives. */
    /** Comment lines: one per heartbeat. */
    public int comments() {
        return comments;
    }

    public int keepAlives() {
        return keepAlives;
    }

    @Override
    public void close() {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // closing anyway
        }
        http.shutdownNow();
    }
}
