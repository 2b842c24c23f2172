package dev.notificationstream.bench;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Many polling clients from one selector thread (scenario 5): each user polls {@code GET
 * /api/notifications?cursor=...} on a fixed schedule (every {@code interval} ms, the users' first
 * polls spread evenly over one interval), over a keep-alive HTTP/1.1 connection that it reopens
 * when the server closes it. A poll still unanswered when the next is due skips that turn
 * (counted). Each poll records the time from its first request byte (or its connect) to the last
 * byte of the response, in microseconds; the cursor in the answer is sent with the next poll.
 *
 * <p>Driven over stdin/stdout like {@link LoadClient}: {@code start FIRST COUNT} -> {@code started
 * COUNT}; {@code stats} -> {@code stats CONNECTIONS OK ERRORS CONNECT_FAILURES SKIPPED};
 * {@code dump FILE} -> {@code dumped COUNT}; {@code quit}.
 */
public final class PollClient {

    private enum State { IDLE, CONNECTING, WRITING, HEADERS, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER }

    private static final byte[] CURSOR = "\"cursor\":\"".getBytes(StandardCharsets.US_ASCII);

    private final class Poller {
        final int user;
        final String credentials;
        SocketChannel channel;
        SelectionKey key;
        State state = State.IDLE;
        String cursor;
        long due; // System.nanoTime() of the next poll
        long sentAt;
        ByteBuffer request;
        byte[] head = new byte[512];
        int headLength;
        byte[] body = new byte[1024];
        int bodyLength;
        long left; // Content-Length or chunk bytes still to read
        boolean chunked;
        boolean closeAfter;
        boolean extension; // in a chunk-size line, past ';'
        int status;

        Poller(int user) {
            this.user = user;
            this.credentials = Base64.getEncoder().encodeToString(("user" + user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }

    private final InetSocketAddress server;
    private final String password;
    private final long intervalNanos;
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(256 * 1024);
    private final byte[] bytes = new byte[256 * 1024];
    private final ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<Poller> schedule = new ArrayDeque<>(); // in due order: every poller has the same interval
    private int connections;
    private long ok;
    private long errors;
    private long connectFailures;
    private long skipped;
    private long[] latencies = new long[1 << 16];
    private int latencyCount;
    private int sourceAddress;

    private PollClient(String host, int port, String password, long intervalMillis) throws IOException {
        this.server = new InetSocketAddress(host, port);
        this.password = password;
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.selector = Selector.open();
    }

    public static void main(String[] args) throws Exception {
        PollClient client = new PollClient(args[0], Integer.parseInt(args[1]), args[2], Long.parseLong(args[3]));
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
            client.commands.add("quit");
            client.selector.wakeup();
        }, "stdin");
        input.setDaemon(true);
        input.start();
        client.loop();
    }

    private void loop() throws IOException {
        while (true) {
            String command;
            while ((command = commands.poll()) != null) {
                String[] words = command.split(" ");
                switch (words[0]) {
                    case "start" -> {
                        int first = Integer.parseInt(words[1]);
                        int count = Integer.parseInt(words[2]);
                        long now = System.nanoTime();
                        for (int i = 0; i < count; i++) {
                            Poller p = new Poller(first + i);
                            p.due = now + intervalNanos * i / count;
                            schedule.add(p);
                        }
                        reply("started " + count);
                    }
                    case "stats" -> reply("stats " + connections + " " + ok + " " + errors + " " + connectFailures + " " + skipped);
                    case "dump" -> {
                        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(words[1])))) {
                            for (int i = 0; i < latencyCount; i++) {
                                out.writeLong(latencies[i]);
                            }
                        }
                        reply("dumped " + latencyCount);
                        latencyCount = 0;
                    }
                    case "quit" -> {
                        for (Poller p : schedule) {
                            if (p.channel != null) {
                                p.channel.close();
                            }
                        }
                        selector.close();
                        reply("bye");
                        System.exit(0);
                    }
                    default -> reply("error unknown command " + command);
                }
            }
            long now = System.nanoTime();
            while (!schedule.isEmpty() && schedule.peek().due <= now) {
                Poller p = schedule.poll();
                p.due += intervalNanos;
                schedule.add(p);
                if (p.state != State.IDLE) {
                    skipped++; // the last poll is still out
                } else {
                    poll(p, now);
                }
            }
            long waitMillis = schedule.isEmpty() ? 1000 : Math.max(1, (schedule.peek().due - System.nanoTime()) / 1_000_000);
            selector.select(Math.min(waitMillis, 1000));
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                Poller p = (Poller) key.attachment();
                try {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isConnectable()) {
                        p.channel.finishConnect();
                        connections++;
                        p.state = State.WRITING;
                        key.interestOps(SelectionKey.OP_WRITE);
                    } else if (key.isWritable()) {
                        write(p);
                    } else if (key.isReadable()) {
                        read(p);
                    }
                } catch (IOException e) {
                    broken(p);
                }
            }
        }
    }

    private void poll(Poller p, long now) {
        p.sentAt = now;
        p.request = ByteBuffer.wrap(("GET /api/notifications" + (p.cursor == null ? "" : "?cursor=" + URLEncoder.encode(p.cursor, StandardCharsets.UTF_8))
                + " HTTP/1.1\r\n"
                + "Host: " + server.getHostString() + ":" + server.getPort() + "\r\n"
                + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36\r\n"
                + "Accept: application/json\r\n"
                + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
                + "Accept-Language: en-US,en;q=0.9\r\n"
                + "Authorization: Basic " + p.credentials + "\r\n"
                + "Connection: keep-alive\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII));
        try {
            if (p.channel == null) {
                p.channel = SocketChannel.open();
                p.channel.configureBlocking(false);
                p.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                p.channel.bind(new InetSocketAddress("127.0.0." + (2 + (sourceAddress++ % 100)), 0));
                p.state = State.CONNECTING;
                if (p.channel.connect(server)) {
                    connections++;
                    p.state = State.WRITING;
                    p.key = p.channel.register(selector, SelectionKey.OP_WRITE, p);
                } else {
                    p.key = p.channel.register(selector, SelectionKey.OP_CONNECT, p);
                }
            } else {
                p.state = State.WRITING;
                write(p);
            }
        } catch (IOException e) {
            if (p.state == State.CONNECTING) {
                connectFailures++;
            }
            broken(p);
        }
    }

    private void write(Poller p) throws IOException {
        p.channel.write(p.request);
        if (p.request.hasRemaining()) {
            p.key.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        p.request = null;
        p.state = State.HEADERS;
        p.headLength = 0;
        p.bodyLength = 0;
        p.key.interestOps(SelectionKey.OP_READ);
    }

    /** The connection failed or closed: count an unanswered poll as an error, reconnect next time. */
    private void broken(Poller p) {
        if (p.state != State.IDLE) {
            errors++;
        }
        close(p);
    }

    private void close(Poller p) {
        if (p.key != null) {
            p.key.cancel();
        }
        if (p.channel != null) {
            try {
                p.channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            connections--;
        }
        p.channel = null;
        p.key = null;
        p.state = State.IDLE;
    }

    private void read(Poller p) throws IOException {
        while (true) {
            readBuffer.clear();
            int n = p.channel.read(readBuffer);
            if (n < 0) {
                broken(p); // an idle keep-alive connection the server closed is not an error (state IDLE)
                return;
            }
            if (n == 0) {
                return;
            }
            readBuffer.flip();
            readBuffer.get(bytes, 0, n);
            parse(p, bytes, n);
            if (p.channel == null || n < readBuffer.capacity()) {
                return;
            }
        }
    }

    private void parse(Poller p, byte[] b, int n) {
        int i = 0;
        while (i < n) {
            switch (p.state) {
                case HEADERS -> {
                    if (p.headLength == p.head.length) {
                        p.head = Arrays.copyOf(p.head, p.head.length * 2);
                    }
                    p.head[p.headLength++] = b[i++];
                    int h = p.headLength;
                    if (h >= 4 && p.head[h - 4] == '\r' && p.head[h - 3] == '\n' && p.head[h - 2] == '\r' && p.head[h - 1] == '\n') {
                        headers(p);
                    }
                }
                case BODY, CHUNK_DATA -> {
                    int take = (int) Math.min(p.left, n - i);
                    if (p.bodyLength + take > p.body.length) {
                        p.body = Arrays.copyOf(p.body, Math.max(p.body.length * 2, p.bodyLength + take));
                    }
                    System.arraycopy(b, i, p.body, p.bodyLength, take);
                    p.bodyLength += take;
                    i += take;
                    p.left -= take;
                    if (p.left == 0) {
                        if (p.state == State.BODY) {
                            done(p);
                        } else {
                            p.state = State.CHUNK_END;
                        }
                    }
                }
                case CHUNK_SIZE -> {
                    byte c = b[i++];
                    if (c == '\n') {
                        p.extension = false;
                        p.state = p.left == 0 ? State.TRAILER : State.CHUNK_DATA;
                    } else if (c == ';') {
                        p.extension = true;
                    } else if (!p.extension && Character.digit(c, 16) >= 0) {
                        p.left = p.left * 16 + Character.digit(c, 16);
                    }
                }
                case CHUNK_END -> {
                    if (b[i++] == '\n') {
                        p.state = State.CHUNK_SIZE;
                        p.left = 0;
                    }
                }
                case TRAILER -> {
                    if (b[i++] == '\n') {
                        done(p);
                    }
                }
                default -> {
                    i = n; // nothing expected (IDLE): ignore
                }
            }
            if (p.channel == null) {
                return;
            }
        }
    }

    private void headers(Poller p) {
        String head = new String(p.head, 0, p.headLength, StandardCharsets.ISO_8859_1);
        p.status = Integer.parseInt(head.substring(9, 12));
        p.chunked = false;
        p.closeAfter = false;
        p.left = 0;
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).strip().toLowerCase();
            String value = line.substring(colon + 1).strip().toLowerCase();
            switch (name) {
                case "content-length" -> p.left = Long.parseLong(value);
                case "transfer-encoding" -> p.chunked = value.contains("chunked");
                case "connection" -> p.closeAfter = value.contains("close");
                default -> { }
            }
        }
        if (p.chunked) {
            p.left = 0;
            p.state = State.CHUNK_SIZE;
        } else if (p.left > 0) {
            p.state = State.BODY;
        } else {
            done(p);
        }
    }

    private void done(Poller p) {
        long micros = (System.nanoTime() - p.sentAt) / 1000;
        if (latencyCount == latencies.length) {
            latencies = Arrays.copyOf(latencies, latencies.length * 2);
        }
        latencies[latencyCount++] = micros;
        if (p.status == 200) {
            ok++;
            int at = indexOf(p.body, p.bodyLength, CURSOR);
            if (at >= 0) {
                int start = at + CURSOR.length;
                int end = start;
                while (end < p.bodyLength && p.body[end] != '"') {
                    end++;
                }
                p.cursor = new String(p.body, start, end - start, StandardCharsets.US_ASCII);
            }
        } else {
            errors++;
        }
        p.state = State.IDLE;
        if (p.closeAfter) {
            close(p);
        }
    }

    private static int indexOf(byte[] haystack, int length, byte[] needle) {
        outer:
        for (int i = length - needle.length; i >= 0; i--) { // the cursor is near the end
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void reply(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
