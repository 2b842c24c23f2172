package dev.notificationstream.stream;

import dev.notificationstream.feed.Sink;
import dev.notificationstream.feed.StreamEnd;
import dev.notificationstream.feed.Subscriber;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One SSE stream in the container's async machinery: an HTTP/2 stream (or HTTP/1.0), which cannot
 * hand its connection over as an HTTP/1.1 one does ({@link SocketStream}). No thread is held while
 * it idles; the request and its buffers are, for the stream's life. Output is non-blocking: the
 * fan-out writes while {@code isReady()}, and the container's {@code onWritePossible} wakes the
 * subscriber when a full socket drains.
 */
public final class SseStream implements Sink, WriteListener, AsyncListener {

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final Subscriber subscriber;
    private final EventFormat format;
    private final int retryMs;
    private final AtomicBoolean completed = new AtomicBoolean();

    SseStream(AsyncContext async, ServletOutputStream out, Subscriber subscriber, EventFormat format, int retryMs) {
        this.async = async;
        this.out = out;
        this.subscriber = subscriber;
        this.format = format;
        this.retryMs = retryMs;
    }

    @Override
    public boolean isReady() {
        return out.isReady();
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() {
        if (completed.compareAndSet(false, true)) {
            try {
                async.complete();
            } catch (IllegalStateException alreadyDone) {
                // the container completed it first (client reset)
            }
        }
    }

    @Override
    public void onWritePossible() {
        subscriber.wake();
    }

    @Override
    public void onError(Throwable failure) {
        subscriber.end(StreamEnd.CLIENT_GONE);
        close();
    }

    @Override
    public void onError(AsyncEvent event) {
        // Since Tomcat 10.1.12 an async error must be completed by the application, and before
        // this method returns: else Tomcat dispatches the committed stream to the error page.
        if (endHere(StreamEnd.CLIENT_GONE)) {
            completeQuietly();
        }
    }

    /**
     * Ends the subscriber from a container callback, taking the completion for this thread: the
     * subscriber's end() would otherwise complete on another thread, possibly after the callback
     * returned. True when this thread must call complete().
     */
    private boolean endHere(StreamEnd reason) {
        boolean ours = completed.compareAndSet(false, true); // the fan-out's close() now does nothing
        subscriber.end(reason); // waits for a write in progress; the fan-out writes no more
        return ours;
    }

    private void completeQuietly() {
        try {
            async.complete();
        } catch (IllegalStateException alreadyDone) {
            // the container completed it first
        }
    }

    /**
     * The stream's own timeout is 0 (none), so a timeout comes only from the container ending the
     * request: when a context stops (undeploy, or a reload after context.xml changed), Tomcat
     * times out the open async requests after its unloadDelay, before the application's
     * contextDestroyed runs. End with a goodbye and its retry: here, as Hub.close does when the
     * application stops first, so the client comes back (jittered) to the new context.
     */
    @Override
    public void onTimeout(AsyncEvent event) {
        if (!endHere(StreamEnd.SHUTDOWN)) {
            return;
        }
        try {
            if (out.isReady()) {
                out.write(format.goodbye(retryMs / 2 + ThreadLocalRandom.current().nextInt(retryMs / 2 + 1)));
                out.flush();
            }
        } catch (IOException | IllegalStateException gone) {
            // the client left already
        }
        completeQuietly();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        completed.set(true);
        subscriber.end(StreamEnd.CLIENT_GONE);
    }

    @Override
    public void onStartAsync(AsyncEvent event) {}
}
