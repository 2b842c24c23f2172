package dev.notificationstream.feed;

import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import dev.notificationstream.model.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A stream's replay served from the ChangeFeed's recent pages ({@link Recent}), with no query: of
 * each page, the user's rows their cursor had not seen, closed by the page's own id line (as a
 * live stream got them), then the cursor after the last page and the read marks of the window.
 */
public final class Catchup {

    private final Audience audience;
    private final Cursor from;
    private final List<EncodedPage> pages;
    private final Cursor next;
    private final List<Long> reads;

    Catchup(Audience audience, Cursor from, List<EncodedPage> pages, Cursor next, List<Long> reads) {
        this.audience = audience;
        this.from = from;
        this.pages = pages;
        this.next = next;
        this.reads = reads;
    }

    /**
     * What the stream missed: of each page, the user's rows their cursor had not seen, closed by the
     * page's id line.
     */
    public Missed missed() {
        Instant now = Instant.now();
        List<byte[]> events = new ArrayList<>();
        int count = 0;
        boolean atNext = false;
        for (EncodedPage page : pages) {
            IntStream.Builder mine = IntStream.builder();
            for (int i = 0; i < page.size(); i++) {
                Notification row = page.row(i);
                if (audience.receives(row) && from.base().unseen(row.txid())
                        && (row.expiresAt() == null || row.expiresAt().isAfter(now))) {
                    mine.add(i);
                }
            }
            int[] rows = mine.build().toArray();
            if (rows.length > 0) {
                events.add(page.bytes(rows));
                count += rows.length;
            }
            atNext = rows.length > 0 && page.page.next().equals(next);
        }
        // The window's cursor, unless it is behind the client's (the feed still inside a batch the
        // client finished through the database): then the client's own, so its resume point never
        // moves back. Live pages skip the rows the client's cursor had seen ("now": those the window had).
        if (from != null && events.isEmpty() && !next.base().seesAllOf(from.base())) {
            return new Missed(events, count, false, from, reads, from.base());
        }
        return new Missed(events, count, atNext, next, reads, (from == null ? next : from).base());
    }

    /**
     * {@code events}, each closed by its page's id line, {@code rows} notifications in all; {@code endsAtNext}: the last one carries
     * {@code next}, the cursor after the replay (else a cursor frame must); {@code reads}: the user's
     * read marks of the window (some perhaps sent before: marks are idempotent); {@code replayed}:
     * for {@link Subscriber#goLive}.
     */
    public record Missed(List<byte[]> events, int rows, boolean endsAtNext, Cursor next, List<Long> reads, Snapshot replayed) {}
}
