package dev.notificationstream.feed;

import dev.notificationstream.db.Page;
import dev.notificationstream.model.Snapshot;
import dev.notificationstream.model.Notification;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

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
    private final long bytes;
    private volatile byte[] everything;
    /** How many queues hold this page: it counts in the {@link Backlog} while any does. */
    final AtomicInteger holders = new AtomicInteger();

    /**
     * @param frames one per row of {@code page}, each ending in a newline but not a blank line
     * @param idLine the page cursor's {@code id:} line and the blank line that closes the event
     */
    public EncodedPage(Page page, byte[][] frames, byte[] idLine) {
        this.page = page;
        this.frames = frames;
        this.idLine = idLine;
        long total = idLine.length;
        for (byte[] frame : frames) {
            total += frame.length + END.length;
        }
        this.bytes = total;
    }

    /** The page's events, every row, in bytes. */
    long length() {
        return bytes;
    }

    /** The length of {@link #bytes(int[])} for these rows (null: all), without building it. */
    long length(int[] rows) {
        if (rows == null) {
            return bytes;
        }
        long total = idLine.length;
        for (int row : rows) {
            total += frames[row].length + END.length;
        }
        return total;
    }

    public int size() {
        return frames.length;
    }

    /** Every event of the page: built once however many subscribers receive it. */
    public byte[] all() {
        byte[] bytes = everything;
        if (bytes == null) {
            bytes = join(null);
            everything = bytes;
        }
        return bytes;
    }

    /**
     * The rows one subscriber gets: {@code rows} (null: all), less those its replay already sent
     * ({@code replayed} null: none). Null means every row of the page.
     */
    int[] visible(int[] rows, Snapshot replayed) {
        if (replayed == null) {
            return rows;
        }
        IntStream candidates = rows == null ? IntStream.range(0, frames.length) : IntStream.of(rows);
        return candidates.filter(row -> replayed.unseen(page.rows().get(row).txid())).toArray();
    }

    /** The events of {@code rows} (null: all), the last closed by the page's id line; empty for none. */
    byte[] bytes(int[] rows) {
        return rows == null ? all() : join(rows);
    }

    Notification row(int index) {
        return page.rows().get(index);
    }

    private byte[] join(int[] rows) {
        if (rows != null && rows.length == 0) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = rows == null ? frames.length : rows.length;
        for (int k = 0; k < count; k++) {
            if (k > 0) {
                out.writeBytes(END);
            }
            out.writeBytes(frames[rows == null ? k : rows[k]]);
        }
        out.writeBytes(idLine);
        return out.toByteArray();
    }
}
