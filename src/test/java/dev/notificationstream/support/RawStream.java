package dev.notificationstream.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A stream request over a plain socket, to see what goes over the wire: the status line, the
 * headers, and the body's bytes exactly as sent (no client decodes chunks or buffers for us).
 */
public final class RawStream implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final StringBuilder body = new StringBuilder();
    public final String statusLine;
    /** Header names in lower case; a repeated header keeps its last value. */
    public final Map<String, String> headers = new HashMap<>();

    /** Sends {@code GET path HTTP/1.1} as {@code user} and reads the response's status line and headers. */
    public RawStream(int port, String user, String path) throws IOException {
        this(port, user, path, "");
    }

    /** As above, with {@code extraHeaders} (each line ending in CRLF) added to the request. */
    public RawStream(int port, String user, String path, String extraHeaders) throws IOException {
        this(plainSocket(port), user, path, extraHeaders);
    }

    /** Over {@code socket}, connected (a TLS socket, say). */
    public RawStream(Socket socket, String user, String path, String extraHeaders) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                + "Authorization: " + SseClient.basic(user) + "\r\n" + extraHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII));
        in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int tail = 0;
        while (tail != 0x0d0a0d0a) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection closed inside the headers: " + head);
            }
            head.write(b);
            tail = (tail << 8) | b;
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        statusLine = lines[0];
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
        }
    }

    private static Socket plainSocket(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        return socket;
    }

    /** Reads until the body received so far contains {@code text}; returns the whole body so far. */
    public String readUntil(String text, Duration timeout) throws IOException {
        return readUntil(text, 0, timeout);
    }

    /** Reads until {@code text} is in the body at or after index {@code from}; returns the whole body so far. */
    public String readUntil(String text, int from, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buffer = new byte[8192];
        while (body.indexOf(text, from) < 0) {
            int left = (int) Math.max(1, Duration.ofNanos(deadline - System.nanoTime()).toMillis());
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no \"" + text + "\" in time; the body so far: " + body);
            }
            socket.setSoTimeout(left);
            int n;
            try {
                n = in.read(buffer);
            } catch (SocketTimeoutException late) {
                continue;
            }
            if (n < 0) {
                throw new AssertionError("the stream ended before \"" + text + "\"; the body: " + body);
            }
            body.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        return body.toString();
    }

    /**
     * Reads (and keeps) whatever arrives until the server closes the connection; true when the
     * read met the end of the stream within {@code timeout}, false when the connection was still
     * open then. A reset throws.
     */
    public boolean awaitEnd(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buffer = new byte[8192];
        while (System.nanoTime() < deadline) {
            socket.setSoTimeout((int) Math.max(1, Duration.ofNanos(deadline - System.nanoTime()).toMillis()));
            try {
                int n = in.read(buffer);
                if (n < 0) {
                    return true;
                }
                body.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            } catch (SocketTimeoutException stillOpen) {
                return false;
            }
        }
        return false;
    }

    /** Reads until the cursor frame that ends the stream's replay is complete: from here it is live. */
    public void awaitLive(Duration timeout) throws IOException {
        readUntil("\n\n", readUntil("event: cursor\n", timeout).indexOf("event: cursor\n"), timeout);
    }

    /** The body received so far. */
    public String body() {
        return body.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
