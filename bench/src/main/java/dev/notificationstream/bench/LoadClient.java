package dev.notificationstream.bench;

import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Many SSE streams from one selector thread: a load tool that costs little next to the server it
 * measures. Connections spread over 127.0.0.2..127.0.0.101 as source addresses (one source address
 * runs out of ephemeral ports near 28,000). Each stream parses the response's framing (chunked,
 * or, without Transfer-Encoding, the raw event stream until the connection closes) and SSE lines;
 * every {@code data:} line carrying {@code "t0":<epoch micros>} (set by the driver just before
 * its INSERT) records {@code receipt - t0} in microseconds.
 *
 * <p>Driven over stdin/stdout, one command per line, one answer line each:
 * {@code open FIRST COUNT} -> {@code opened OK FAILED}; {@code stats} -> {@code stats OPEN EVENTS
 * CLOSED FAILED FRAMES}; {@code dump FILE} -> {@code dumped COUNT} (receipt time and latency in
 * microseconds, a pair of longs per event, then cleared); {@code drop} -> {@code dropped COUNT} (closes every open stream at once, counted as
 * closed; COUNT includes streams the server ended); {@code resume} -> {@code opened OK FAILED}
 * (reopens every stream that ended since the last resume, each with a {@code Last-Event-ID} header
 * carrying the last {@code id:} it received); {@code replace K} -> {@code opened OK FAILED} (closes K
 * random open streams, then resumes them as {@code resume} does); {@code tally FILE} ->
 * {@code tallied USERS} (per user: rows received and rows that arrived out of id order, i.e.
 * repeated, as CSV lines {@code user,received,disorder}); {@code forget} -> {@code forgot} (the
 * streams that ended so far will not be resumed); {@code quit}.
 */
public final class LoadClient {

    private static final byte[] T0 = "\"t0\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ROW_ID = "data: {\"id\":".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_USERS = 20_000;
    private static final int MAX_CONNECTING = 256;

    private enum State { HEADERS, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, DONE }

    /** One stream: parser state only; reads share one buffer. */
    private final class Stream {
        final int user;
        final SocketChannel channel;
        ByteBuffer request;
        State state = State.HEADERS;
        int headerTail; // last 4 header bytes, to spot the blank line
        int status;
        int statusDigits = -1; // -1: before the first space of the status line
        boolean chunked;
        long chunkLeft;
        byte[] line = new byte[128];
        int lineLength;
        boolean live;

        Stream(int user, SocketChannel channel) {
            this.user = user;
            this.channel = channel;
        }
    }

    private final InetSocketAddress server;
    private final String password;
    private final String path;
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(256 * 1024);
    private final byte[] bytes = new byte[256 * 1024];
    private final ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<Integer> toOpen = new ArrayDeque<>();
    private int connecting;
    private long openDeadline;
    private int opened;
    private int openFailed;
    private int closed;
    private long events;
    private long frames;
    private long[] latencies = new long[1 << 16];
    private long[] receipts = new long[1 << 16]; // epoch micros of each latency's receipt
    private int latencyCount;
    private int sourceAddress;
    private final List<Stream> streams = new ArrayList<>();
    private final java.util.Map<Integer, String> lastIds = new java.util.HashMap<>();
    private final List<Integer> dropped = new ArrayList<>();
    // Per user, to prove nothing is lost or repeated: rows received, the last row id, and rows whose
    // id was not above the last (a single inserting connection commits rows in id order).
    private final int[] received = new int[MAX_USERS];
    private final long[] lastRow = new long[MAX_USERS];
    private final int[] disorder = new int[MAX_USERS];
    private final java.util.Random random = new java.util.Random(42);

    private LoadClient(String host, int port, String password, String path) throws IOException {
        this.server = new InetSocketAddress(host, port);
        this.password = password;
        this.path = path;
        this.selector = Selector.open();
    }

    public static void main(String[] args) throws Exception {
        LoadClient client = new LoadClient(args[0], Integer.parseInt(args[1]), args[2], args.length > 3 ? args[3] : "/events");
        Thread input = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    client.commands.add(line.strip());
                    client.selector.wakeup();
                }
            } catch (IOException ignored) {
                // the driver went away
            }
            client.commands.add("quit"); // stdin closed: the driver is gone, so stop
            client.selector.wakeup();
        }, "stdin");
        input.setDaemon(true);
        input.start();
        client.loop();
    }

    private void loop() throws IOException {
        String pendingOpen = null;
        while (true) {
            String command;
            while ((command = commands.poll()) != null) {
                String[] words = command.split(" ");
                switch (words[0]) {
                    case "open" -> {
                        int first = Integer.parseInt(words[1]);
                        int count = Integer.parseInt(words[2]);
                        for (int i = 0; i < count; i++) {
                            toOpen.add(first + i);
                        }
                        pendingOpen = "open";
                        openDeadline = System.nanoTime() + 60_000_000_000L + count * 2_000_000L;
                    }
                    case "stats" -> reply("stats " + (opened - closed) + " " + events + " " + closed + " " + openFailed + " " + frames);
                    case "dump" -> {
                        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(words[1])))) {
                            for (int i = 0; i < latencyCount; i++) {
                                out.writeLong(receipts[i]);
                                out.writeLong(latencies[i]);
                            }
                        }
                        reply("dumped " + latencyCount);
                        latencyCount = 0;
                    }
                    case "drop" -> {
                        for (Stream s : streams) {
                            if (s.live) {
                                fail(s, s.channel.keyFor(selector)); // adds it to dropped
                            }
                        }
                        streams.removeIf(s -> s.state == State.DONE);
                        reply("dropped " + dropped.size());
                    }
                    case "replace" -> {
                        List<Stream> live = new ArrayList<>(streams.stream().filter(st -> st.live).toList());
                        java.util.Collections.shuffle(live, random);
                        for (Stream st : live.subList(0, Math.min(Integer.parseInt(words[1]), live.size()))) {
                            fail(st, st.channel.keyFor(selector)); // adds it to dropped
                        }
                        streams.removeIf(st -> st.state == State.DONE);
                        pendingOpen = resumeDropped();
                    }
                    case "tally" -> {
                        int users = 0;
                        try (java.io.PrintWriter out = new java.io.PrintWriter(Files.newBufferedWriter(Path.of(words[1])))) {
                            for (int u = 0; u < MAX_USERS; u++) {
                                if (received[u] > 0 || disorder[u] > 0) {
                                    out.println(u + "," + received[u] + "," + disorder[u]);
                                    users++;
                                }
                            }
                        }
                        reply("tallied " + users);
                    }
                    case "resume" -> pendingOpen = resumeDropped();
                    case "forget" -> { // the streams dropped so far are not to be resumed
                        dropped.clear();
                        reply("forgot");
                    }
                    case "quit" -> {
                        for (Stream s : streams) {
                            s.channel.close();
                        }
                        selector.close();
                        reply("bye");
                        System.exit(0);
                    }
                    default -> reply("error unknown command " + command);
                }
            }
            while (!toOpen.isEmpty() && connecting < MAX_CONNECTING) {
                connect(toOpen.poll());
            }
            if (pendingOpen != null && System.nanoTime() > openDeadline) {
                // Streams the server never answered (past maxConnections, a full backlog): give up on them.
                toOpen.clear();
                for (Stream s : streams) {
                    if (!s.live && s.state != State.DONE) {
                        SelectionKey key = s.channel.keyFor(selector);
                        if (key != null) {
                            fail(s, key);
                        } else {
                            s.channel.close();
                        }
                    }
                }
                connecting = 0;
            }
            if (pendingOpen != null && toOpen.isEmpty() && connecting == 0) {
                reply("opened " + opened + " " + openFailed);
                pendingOpen = null;
            }
            selector.select(1000);
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                Stream stream = (Stream) key.attachment();
                try {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isConnectable()) {
                        stream.channel.finishConnect();
                        key.interestOps(SelectionKey.OP_WRITE);
                    } else if (key.isWritable()) {
                        stream.channel.write(stream.request);
                        if (!stream.request.hasRemaining()) {
                            stream.request = null;
                            key.interestOps(SelectionKey.OP_READ);
                        }
                    } else if (key.isReadable()) {
                        read(stream, key);
                    }
                } catch (IOException e) {
                    fail(stream, key);
                }
            }
        }
    }

    /** Queues every stream that ended since the last resume to reopen with its Last-Event-ID. */
    private String resumeDropped() {
        toOpen.addAll(dropped);
        openDeadline = System.nanoTime() + 60_000_000_000L + dropped.size() * 2_000_000L;
        dropped.clear();
        return "open";
    }

    private void connect(int user) {
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 16 * 1024);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            int source = 2 + (sourceAddress++ % 100);
            channel.bind(new InetSocketAddress("127.0.0." + source, 0));
            Stream stream = new Stream(user, channel);
            String credentials = Base64.getEncoder().encodeToString(("user" + user + ":" + password).getBytes(StandardCharsets.UTF_8));
            // Headers as a browser's EventSource sends them, so the server parses a realistic request.
            stream.request = ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\n"
                    + "Host: " + server.getHostString() + ":" + server.getPort() + "\r\n"
                    + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36\r\n"
                    + "Accept: text/event-stream\r\n"
                    + "Cache-Control: no-cache\r\n"
                    + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
                    + "Accept-Language: en-US,en;q=0.9\r\n"
                    + "Authorization: Basic " + credentials + "\r\n"
                    + (lastIds.containsKey(user) ? "Last-Event-ID: " + lastIds.get(user) + "\r\n" : "")
                    + "Connection: keep-alive\r\n"
                    + "\r\n").getBytes(StandardCharsets.US_ASCII));
            connecting++;
            streams.add(stream);
            if (channel.connect(server)) {
                channel.register(selector, SelectionKey.OP_WRITE, stream);
            } else {
                channel.register(selector, SelectionKey.OP_CONNECT, stream);
            }
        } catch (IOException e) {
            openFailed++;
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // nothing to do
                }
            }
        }
    }

    private void fail(Stream stream, SelectionKey key) {
        key.cancel();
        try {
            stream.channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (stream.live) {
            stream.live = false;
            closed++;
            dropped.add(stream.user); // a stream that ended, by us or by the server: resume reopens it
        } else if (stream.state != State.DONE) {
            connecting--;
            openFailed++;
        }
        stream.state = State.DONE;
    }

    private void read(Stream stream, SelectionKey key) throws IOException {
        while (true) {
            readBuffer.clear();
            int n = stream.channel.read(readBuffer);
            if (n < 0) {
                fail(stream, key);
                return;
            }
            if (n == 0) {
                return;
            }
            long now = epochMicros();
            readBuffer.flip();
            readBuffer.get(bytes, 0, n);
            parse(stream, bytes, n, now);
            if (stream.state == State.DONE) {
                fail(stream, key);
                return;
            }
            if (n < readBuffer.capacity()) {
                return;
            }
        }
    }

    private void parse(Stream s, byte[] b, int n, long now) {
        int i = 0;
        while (i < n) {
            switch (s.state) {
                case HEADERS -> {
                    byte c = b[i++];
                    if (s.statusDigits >= 0 && s.statusDigits < 3) {
                        s.status = s.status * 10 + (c - '0');
                        s.statusDigits++;
                    } else if (s.statusDigits < 0 && c == ' ') {
                        s.statusDigits = 0;
                    }
                    s.headerTail = (s.headerTail << 8) | (c & 0xff);
                    if (c == '\n') {
                        s.chunked |= isChunked(s.line, s.lineLength);
                        s.lineLength = 0;
                    } else if (c != '\r') {
                        append(s, c);
                    }
                    if (s.headerTail == 0x0d0a0d0a) {
                        connecting--;
                        if (s.status != 200) {
                            openFailed++;
                            s.state = State.DONE;
                            return;
                        }
                        opened++;
                        s.live = true;
                        // Chunked, or (Connection: close) the body is the event stream until the server closes.
                        s.state = s.chunked ? State.CHUNK_SIZE : State.BODY;
                    }
                }
                case BODY -> {
                    body(s, b, i, n, now);
                    i = n;
                }
                case CHUNK_SIZE -> {
                    byte c = b[i++];
                    if (c == '\n') {
                        if (s.chunkLeft == 0) {
                            s.state = State.DONE; // the last chunk: the server ended the stream
                            return;
                        }
                        s.state = State.CHUNK_DATA;
                    } else {
                        int digit = Character.digit(c, 16);
                        if (digit >= 0) {
                            s.chunkLeft = s.chunkLeft * 16 + digit;
                        }
                    }
                }
                case CHUNK_DATA -> {
                    int take = (int) Math.min(s.chunkLeft, n - i);
                    body(s, b, i, i + take, now);
                    i += take;
                    s.chunkLeft -= take;
                    if (s.chunkLeft == 0) {
                        s.state = State.CHUNK_END;
                    }
                }
                case CHUNK_END -> {
                    if (b[i++] == '\n') {
                        s.state = State.CHUNK_SIZE;
                    }
                }
                case DONE -> {
                    return;
                }
            }
        }
    }

    /** Body bytes {@code from} to {@code to}: SSE lines, each handled at its newline. */
    private void body(Stream s, byte[] b, int from, int to, long now) {
        for (int k = from; k < to; k++) {
            byte c = b[k];
            if (c == '\n') {
                line(s, now);
                s.lineLength = 0;
            } else {
                append(s, c);
            }
        }
    }

    private static void append(Stream s, byte c) {
        if (s.lineLength < 4096) {
            if (s.lineLength == s.line.length) {
                s.line = Arrays.copyOf(s.line, s.line.length * 2);
            }
            s.line[s.lineLength++] = c;
        }
    }

    /** A {@code Transfer-Encoding} header line naming chunked (header names are case-insensitive). */
    private static boolean isChunked(byte[] line, int length) {
        String header = new String(line, 0, length, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
        return header.startsWith("transfer-encoding:") && header.contains("chunked");
    }

    private void line(Stream s, long now) {
        byte[] l = s.line;
        int len = s.lineLength;
        if (len > 4 && l[0] == 'i' && l[1] == 'd' && l[2] == ':') {
            lastIds.put(s.user, new String(l, 3, len - 3, StandardCharsets.US_ASCII).strip()); // the resume point
            return;
        }
        if (len < 6 || l[0] != 'd' || l[1] != 'a' || l[2] != 't' || l[3] != 'a' || l[4] != ':') {
            return;
        }
        frames++;
        if (startsWith(l, len, ROW_ID) && s.user < MAX_USERS) {
            long row = 0;
            for (int k = ROW_ID.length; k < len && l[k] >= '0' && l[k] <= '9'; k++) {
                row = row * 10 + (l[k] - '0');
            }
            received[s.user]++;
            if (row <= lastRow[s.user]) {
                disorder[s.user]++;
            }
            lastRow[s.user] = Math.max(lastRow[s.user], row);
        }
        int at = indexOf(l, len, T0);
        if (at < 0) {
            return;
        }
        long t0 = 0;
        int k0 = at + T0.length;
        while (k0 < len && l[k0] == ' ') {
            k0++; // jsonb prints {"t0": 123}
        }
        for (int k = k0; k < len && l[k] >= '0' && l[k] <= '9'; k++) {
            t0 = t0 * 10 + (l[k] - '0');
        }
        events++;
        if (latencyCount == latencies.length) {
            latencies = Arrays.copyOf(latencies, latencies.length * 2);
            receipts = Arrays.copyOf(receipts, receipts.length * 2);
        }
        receipts[latencyCount] = now;
        latencies[latencyCount++] = now - t0;
    }

    private static boolean startsWith(byte[] line, int length, byte[] prefix) {
        if (length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (line[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] haystack, int length, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static long epochMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private static void reply(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
