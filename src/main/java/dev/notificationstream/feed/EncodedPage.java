package dev.notificationstream.feed;

import dev.notificationstream.db.Page;
import dev.notificationstream.model.Snapshot;
import java.io.ByteArrayOutputStream;

/**
 * A page of rows encoded once for every subscriber. Each frame lacks its closing blank line: a
 * subscriber's last event in the page closes with the page's {@code id:} line instead, so the
 * client's Last-Event-ID lands on the cursor exactly when it has every row before it.
 */
public final class EncodedPage {

    private static final byte[] END = {'\n'};

    final Page page;
    private final byte[][] frames;
    private final byte[] idLine;
    private volatile byte[] everything;

    /**
     * @param frames one per row of {@code page}, each ending in a newline but not a blank line
     * @param idLine the page cursor's {@code id:} line and the blank line that closes the event
     */
    public EncodedPage(Page page, byte[][] frames, byte[] idLine) {
        this.page = page;
        this.frames = frames;
        this.idLine = idLine;
    }

    public int size() {
        return frames.length;
    }

    /** Every event of the page: built once however many subscribers receive it. */
    public byte[] all() {
        byte[] bytes = everything;
        if (bytes == null) {
            bytes = join(null, null);
            everything = bytes;
        }
        return bytes;
    }

    /**
     * The events for one subscriber: the given rows (null: all), less those its replay already
     * covered ({@code replayed} null: none).
     */
    byte[] select(int[] rows, Snapshot replayed) {
        if (rows == null && replayed == null) {
            return all();
        }
        return join(rows, replayed);
    }

    private byte[] join(int[] rows, Snapshot replayed) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = rows == null ? frames.length : rows.length;
        boolean wrote = false;
        for (int k = 0; k < count; k++) {
            int row = rows == null ? k : rows[k];
            if (replayed != null && !replayed.unseen(page.rows().get(row).txid())) {
                continue;
            }
            if (wrote) {
                out.writeBytes(END);
            }
            out.writeBytes(frames[row]);
            wrote = true;
        }
        if (wrote) {
            out.writeBytes(idLine);
        }
        return out.toByteArray();
    }
}
