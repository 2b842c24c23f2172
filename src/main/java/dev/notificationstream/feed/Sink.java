package dev.notificationstream.feed;

import java.io.IOException;

/**
 * A subscriber's connection as the fan-out sees it: a non-blocking output. {@link #write} may be
 * called only while {@link #isReady} is true; when it turns false the sink calls
 * {@link Subscriber#wake()} once the client can take more.
 */
public interface Sink {
    boolean isReady() throws IOException;

    void write(byte[] bytes, int offset, int length) throws IOException;

    void flush() throws IOException;

    /** Ends the connection; called once, by the subscriber. */
    void close();
}
