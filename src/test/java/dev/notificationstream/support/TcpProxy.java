package dev.notificationstream.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy the test controls, in front of PostgreSQL: {@link #freeze} makes the network go
 * silent as a dead link or a hung middlebox does (connections stay open, new ones are accepted,
 * nothing passes either way, nobody is told); {@link #thaw} lets everything held through.
 */
public final class TcpProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private volatile boolean frozen;
    private volatile boolean closed;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        Thread.ofPlatform().daemon().name("tcp-proxy-accept").start(this::accept);
    }

    /** A proxy to the server of {@code jdbcUrl}; {@link #url} rewrites that URL to go through it. */
    public static TcpProxy to(String jdbcUrl) throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/").matcher(jdbcUrl);
        if (!m.find()) {
            throw new IllegalArgumentException("not a jdbc:postgresql://host:port/ URL: " + jdbcUrl);
        }
        return new TcpProxy(m.group(1), Integer.parseInt(m.group(2)));
    }

    public String url(String jdbcUrl) {
        return jdbcUrl.replaceFirst("jdbc:postgresql://[^/]+/", "jdbc:postgresql://127.0.0.1:" + listener.getLocalPort() + "/");
    }

    public void freeze() {
        frozen = true;
    }

    public void thaw() {
        synchronized (gate) {
            frozen = false;
            gate.notifyAll();
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                Thread.ofPlatform().daemon().name("tcp-proxy-connect").start(() -> connect(client));
            } catch (IOException stopped) {
                return;
            }
        }
    }

    private void connect(Socket client) {
        try {
            awaitThaw();
            Socket server = new Socket(targetHost, targetPort);
            sockets.add(server);
            Thread.ofPlatform().daemon().name("tcp-proxy-up").start(() -> pump(client, server));
            pump(server, client);
        } catch (IOException | InterruptedException gone) {
            closeQuietly(client);
        }
    }

    private void awaitThaw() throws InterruptedException {
        synchronized (gate) {
            while (frozen && !closed) {
                gate.wait();
            }
        }
    }

    /** Copies {@code from} to {@code to}; bytes read while frozen are held until the thaw. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16_384];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                awaitThaw();
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException gone) {
            // one side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        thaw();
        listener.close();
        sockets.forEach(TcpProxy::closeQuietly);
    }
}
