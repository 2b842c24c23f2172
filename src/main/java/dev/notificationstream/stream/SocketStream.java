package dev.notificationstream.stream;

import dev.notificationstream.feed.Sink;
import dev.notificationstream.feed.StreamEnd;
import dev.notificationstream.feed.Subscriber;
import jakarta.servlet.http.WebConnection;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.coyote.http11.upgrade.InternalHttpUpgradeHandler;
import org.apache.tomcat.util.net.AbstractEndpoint.Handler.SocketState;
import org.apache.tomcat.util.net.ApplicationBufferHandler;
import org.apache.tomcat.util.net.SSLSupport;
import org.apache.tomcat.util.net.SocketEvent;
import org.apache.tomcat.util.net.SocketWrapperBase;

/**
 * One HTTP/1.1 SSE connection after the servlet handed it over with {@code request.upgrade}: the
 * response is a 200 with {@code Connection: close} whose body runs until the connection closes.
 * Tomcat has recycled the request's processor, request, response and their buffers; the stream
 * keeps only the socket and this object.
 *
 * <p>Tomcat's internal handler interface, not the servlet API's {@code HttpUpgradeHandler}: with
 * that one, closing from our own threads closes the streams but not the connection (Tomcat's
 * UpgradeProcessorExternal), so a stream the server ends would leave its client waiting.
 *
 * <p>The servlet wrote the replay through the response; from {@link #init} on, the fan-out writes
 * non-blocking as for every stream; Tomcat dispatches a readable socket (the client
 * left: noticed at once) and a writable one (the client took what was pending).
 */
public final class SocketStream implements InternalHttpUpgradeHandler, Sink {

    private SocketWrapperBase<?> socket;
    private Subscriber subscriber;
    private Subscriber.Replayed replayed; // until init has taken the stream live

    /** Tomcat creates it (by reflection) in {@code request.upgrade}. */
    public SocketStream() {}

    /** What the servlet hands over, once the replay went out through the response; init runs after it returns. */
    void start(Subscriber subscriber, Subscriber.Replayed replayed) {
        this.subscriber = subscriber;
        this.replayed = replayed;
    }

    @Override
    public void setSocketWrapper(SocketWrapperBase<?> wrapper) {
        this.socket = wrapper;
        // The request's input buffer registered itself with the connection (for TLS reads into it):
        // left there, it would keep the recycled processor, and all it holds, reachable from this
        // connection. Our reads go through the socket's own buffer.
        wrapper.setAppReadBufHandler(ApplicationBufferHandler.EMPTY);
    }

    @Override
    public void init(WebConnection connection) {
        // Tomcat binds no web application to an internal handler's calls; what goes live may log.
        Thread thread = Thread.currentThread();
        ClassLoader container = thread.getContextClassLoader();
        thread.setContextClassLoader(SocketStream.class.getClassLoader());
        try {
            // Live writes are non-blocking (Tomcat set the socket's timeouts to infinite for the
            // upgrade): Subscriber.tick judges a stalled client. False: it ended meanwhile, and the
            // dispatch that follows init returns CLOSED, so Tomcat closes the connection.
            subscriber.goLive(this, replayed);
        } finally {
            replayed = null;
            thread.setContextClassLoader(container);
        }
    }

    @Override
    public SocketState upgradeDispatch(SocketEvent status) {
        switch (status) {
            case OPEN_READ -> {
                if (clientLeft()) {
                    subscriber.end(StreamEnd.CLIENT_GONE);
                }
            }
            case OPEN_WRITE -> subscriber.wake(); // its writer flushes what is pending
            case STOP -> subscriber.end(StreamEnd.SHUTDOWN);
            default -> subscriber.end(StreamEnd.CLIENT_GONE); // ERROR, DISCONNECT, ...
        }
        return subscriber.isEnded() ? SocketState.CLOSED : SocketState.UPGRADED;
    }

    /** Reads and drops what the client sent after its request (it has no business sending any). */
    private boolean clientLeft() {
        byte[] discard = new byte[256];
        try {
            int n;
            while ((n = socket.read(false, discard, 0, discard.length)) > 0) {
                // nothing to do with it
            }
            return n < 0;
        } catch (IOException endOfStream) { // NIO throws EOFException at the end of the stream
            return true;
        }
    }

    @Override
    public void destroy() {
        if (subscriber != null) {
            subscriber.end(StreamEnd.CLIENT_GONE); // does nothing when it already ended
        }
    }

    // Sink: called by the subscriber's writer under the subscriber's lock.

    @Override
    public boolean isReady() throws IOException {
        if (socket.isClosed()) {
            throw new ClosedChannelException();
        }
        if (socket.flush(false)) {
            socket.registerWriteInterest(); // Tomcat dispatches OPEN_WRITE once it can write
            return false;
        }
        return true;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        socket.write(false, bytes, offset, length);
    }

    @Override
    public void flush() throws IOException {
        socket.flush(false); // what it could not write, isReady (which drain asks next) waits for
    }

    @Override
    public void close() {
        // Under the lock Tomcat's socket processor holds for each dispatch: a dispatch in progress
        // would put the connection back in Tomcat's books after an unlocked close took it out.
        ReentrantLock lock = socket.getLock();
        lock.lock();
        try {
            socket.close(); // once; later calls do nothing
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void timeoutAsync(long now) {}

    @Override
    public void setSslSupport(SSLSupport sslSupport) {}

    @Override
    public void pause() {}

}
