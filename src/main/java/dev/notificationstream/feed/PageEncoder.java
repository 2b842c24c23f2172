package dev.notificationstream.feed;

import dev.notificationstream.db.Page;
import dev.notificationstream.model.Cursor;
import java.util.List;
import java.util.Map;

/** The wire format, supplied by the web layer, so that each event is encoded once for every subscriber. */
public interface PageEncoder {
    EncodedPage encode(Page page);

    /** A frame that moves a client's resume point to {@code cursor}. */
    byte[] cursorFrame(Cursor cursor);

    /**
     * The frame sent every heartbeat interval: it keeps the connection alive, shows a dead one by
     * failing, and (with the latest cursor, null before the first read) moves a quiet client's
     * resume point forward and lets an EventSource's watchdog see the stream is alive.
     */
    byte[] heartbeat(Cursor latest);

    /** Tells a user's stream that these rows were marked read (on any of their devices). */
    byte[] readFrame(List<Long> ids);

    /** Tells a stream that its sign-in token expires at {@code exp} (epoch seconds): get a fresh one. */
    byte[] tokenExpiring(long exp);

    /** The last frame of a stream the server ends: when to come back. */
    byte[] goodbye(int retryMs);

    /** The last frame of a stream whose user no longer gets SSE: what /api/config would now say. */
    byte[] configFrame(Map<String, Object> config);
}
