package dev.notificationstream.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many SSE clients on one selector thread, each behaving as a browser's EventSource: it keeps the
 * last event id, honours {@code retry:}, and reconnects with Last-Event-ID when the stream ends or
 * the server is away. The body is the raw event stream (no chunking) over both protocols the
 * streams alternate: HTTP/1.1, whose connection the server hands over to a SocketStream, and
 * HTTP/1.0, which stays an async request (as HTTP/2 does).
 */
public final class StreamCrowd implements AutoCloseable {

    public final class Stream {
        final String user;
        final String protocol;
        final Set<Long> ids = ConcurrentHashMap.newKeySet();
        final AtomicInteger duplicates = new AtomicInteger();
        volatile boolean live;
        volatile String lastEventId;
        volatile int retryMs = 1_000;
        volatile int connects;
        long reconnectAtNanos;
        SocketChannel channel;
        ByteBuffer request;
        final StringBuilder line = new StringBuilder();
        boolean inBody;
        int headerNewlines;
        String eventType;
        String eventId;
        String data;

        Stream(String user, String protocol) {
            this.user = user;
            this.protocol = protocol;
        }

        public Set<Long> ids() {
            return ids;
        }

        /** The last {@code retry:} the server sent this stream. */
        public int retryMs() {
            return retryMs;
        }
    }

    private final InetSocketAddress server;
    private final List<Stream> streams = new ArrayList<>();
    private final Selector selector;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    private final Thread loop;
    private volatile boolean running = true;

    /** Opens {@code count} streams, spread over {@code users}. */
    public StreamCrowd(int port, List<String> users, int count) throws IOException {
        this.server = new InetSocketAddress("127.0.0.1", port);
        this.selector = Selector.open();
        for (int i = 0; i < count; i++) {
            streams.add(new Stream(users.get(i % users.size()), i % 2 == 0 ? "HTTP/1.1" : "HTTP/1.0"));
        }
        loop = Thread.ofPlatform().name("stream-crowd").daemon().start(this::run);
    }

    public List<Stream> streams() {
        return streams;
    }

    public long live() {
        return streams.stream().filter(s -> s.live).count();
    }

    /** Every stream has received every one of {@code expected}. */
    public boolean allReceived(Set<Long> expected) {
        return streams.stream().allMatch(s -> s.ids.containsAll(expected));
    }

    public int duplicates() {
        return streams.stream().mapToInt(s -> s.duplicates.get()).sum();
    }

    public int connects() {
        return streams.stream().mapToInt(s -> s.connects).sum();
    }

    private void run() {
        try {
            while (running) {
                long now = System.nanoTime();
                for (Stream stream : streams) {
                    if (stream.channel == null && now >= stream.reconnectAtNanos) {
                        connect(stream);
                    }
                }
                selector.select(20);
                for (SelectionKey key : selector.selectedKeys()) {
                    Stream stream = (Stream) key.attachment();
                    try {
                        if (key.isConnectable() && stream.channel.finishConnect()) {
                            key.interestOps(SelectionKey.OP_WRITE);
                        } else if (key.isWritable()) {
                            stream.channel.write(stream.request);
                            if (!stream.request.hasRemaining()) {
                                key.interestOps(SelectionKey.OP_READ);
                            }
                        } else if (key.isReadable()) {
                            read(stream);
                        }
                    } catch (IOException refusedOrReset) {
                        drop(stream);
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void connect(Stream stream) {
        try {
            stream.connects++;
            stream.channel = SocketChannel.open();
            stream.channel.configureBlocking(false);
            String request = "GET /events " + stream.protocol + "\r\nHost: 127.0.0.1\r\nAuthorization: " + SseClient.basic(stream.user) + "\r\n"
                    + (stream.lastEventId == null ? "" : "Last-Event-ID: " + stream.lastEventId + "\r\n") + "\r\n";
            stream.request = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
            stream.inBody = false;
            stream.headerNewlines = 0;
            stream.line.setLength(0);
            stream.channel.connect(server);
            stream.channel.register(selector, SelectionKey.OP_CONNECT, stream);
        } catch (IOException e) {
            drop(stream);
        }
    }

    private void read(Stream stream) throws IOException {
        buffer.clear();
        int n = stream.channel.read(buffer);
        if (n < 0) {
            drop(stream);
            return;
        }
        buffer.flip();
        while (buffer.hasRemaining()) {
            char c = (char) (buffer.get() & 0xff); // bytes as Latin-1: only ids, fields and numbers matter here
            if (c == '\r') {
                continue;
            }
            if (c != '\n') {
                stream.line.append(c);
                continue;
            }
            String line = stream.line.toString();
            stream.line.setLength(0);
            if (!stream.inBody) {
                if (stream.headerNewlines++ == 0 && !line.contains(" 200 ")) {
                    drop(stream); // refused (a limit, the server stopping): try again later
                    return;
                }
                if (line.isEmpty()) {
                    stream.inBody = true;
                    stream.live = true;
                }
                continue;
            }
            field(stream, line);
        }
    }

    private static void field(Stream stream, String line) {
        if (line.isEmpty()) {
            if (stream.eventId != null) {
                stream.lastEventId = stream.eventId;
            }
            if ("notification".equals(stream.eventType) && stream.data != null) {
                long id = Long.parseLong(stream.data.substring(6, stream.data.indexOf(','))); // {"id":N,...
                if (!stream.ids.add(id)) {
                    stream.duplicates.incrementAndGet();
                }
            }
            stream.eventType = null;
            stream.eventId = null;
            stream.data = null;
        } else if (line.startsWith("event:")) {
            stream.eventType = line.substring(6).strip();
        } else if (line.startsWith("id:")) {
            stream.eventId = line.substring(3).strip();
        } else if (line.startsWith("data:")) {
            stream.data = line.substring(5).strip();
        } else if (line.startsWith("retry:")) {
            stream.retryMs = Integer.parseInt(line.substring(6).strip());
        }
    }

    private void drop(Stream stream) {
        stream.live = false;
        try {
            if (stream.channel != null) {
                stream.channel.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        stream.channel = null;
        stream.reconnectAtNanos = System.nanoTime() + stream.retryMs * 1_000_000L;
    }

    @Override
    public void close() throws Exception {
        running = false;
        loop.join(5_000);
        for (Stream stream : streams) {
            if (stream.channel != null) {
                stream.channel.close();
            }
        }
        selector.close();
    }
}
