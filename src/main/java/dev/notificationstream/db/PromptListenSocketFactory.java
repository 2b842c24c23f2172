package dev.notificationstream.db;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import javax.net.SocketFactory;

/**
 * pgjdbc's sockets for the ChangeFeed's LISTEN connection, so that its wait for notifications
 * returns with what has arrived. After the first notification pgjdbc goes on reading for as long
 * as another one arrives within 1 ms ({@code PGStream.hasMessagePending} probes with a 1 ms read
 * timeout), so under a steady stream of commits, such as a DBA's loop of single-row INSERTs, the
 * wait did not return until the stream paused, and rows waited for seconds (docs/benchmarks.md,
 * scenario 3). These sockets answer that probe as a timeout at once; bytes already received are
 * still read, so nothing is lost: what comes later is read by the next wait.
 */
public final class PromptListenSocketFactory extends SocketFactory {

    /** The read timeout pgjdbc sets only for its "is another message coming?" probe. */
    private static final int PGJDBC_PROBE_MILLIS = 1;

    @Override
    public Socket createSocket() {
        return new PromptSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected(new InetSocketAddress(host, port), new InetSocketAddress(localAddress, localPort));
    }

    @Override
    public Socket createSocket(InetAddress address, int port) throws IOException {
        return connected(new InetSocketAddress(address, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private static Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
        Socket socket = new PromptSocket();
        if (local != null) {
            socket.bind(local);
        }
        socket.connect(remote);
        return socket;
    }

    private static final class PromptSocket extends Socket {
        private volatile int timeoutMillis;
        private InputStream input;

        @Override
        public void setSoTimeout(int timeout) throws SocketException {
            super.setSoTimeout(timeout);
            timeoutMillis = timeout;
        }

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (input == null) {
                input = new FilterInputStream(super.getInputStream()) {
                    @Override
                    public int read() throws IOException {
                        refuseProbe();
                        return super.read();
                    }

                    @Override
                    public int read(byte[] bytes, int offset, int length) throws IOException {
                        refuseProbe();
                        return super.read(bytes, offset, length);
                    }
                };
            }
            return input;
        }

        private void refuseProbe() throws SocketTimeoutException {
            if (timeoutMillis == PGJDBC_PROBE_MILLIS) {
                throw new SocketTimeoutException("not waiting for more notifications");
            }
        }
    }
}
