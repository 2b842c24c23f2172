package dev.notificationstream.feed;

import dev.notificationstream.db.Page;
import dev.notificationstream.model.Cursor;

/** The wire format, supplied by the web layer, so that each event is encoded once for every subscriber. */
public interface PageEncoder {
    EncodedPage encode(Page page);

    /** A frame that moves a quiet client's resume point to {@code cursor}. */
    byte[] cursorFrame(Cursor cursor);

    /** A frame that keeps the connection alive and shows a dead one, and is no event. */
    byte[] heartbeat();

    /** The last frame of a stream the server ends: when to come back. */
    byte[] goodbye(int retryMs);
}
