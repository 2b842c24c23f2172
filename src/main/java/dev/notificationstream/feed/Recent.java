package dev.notificationstream.feed;

import dev.notificationstream.db.Page;
import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import dev.notificationstream.model.Snapshot;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the ChangeFeed published lately: its pages with rows and its read marks, and the cursors
 * they cover. Every row committed after {@code start} and read by the feed up to {@code last} is
 * here, so a stream whose cursor had seen everything {@code start} saw can be served from here with
 * no query: it missed exactly the rows here its cursor had not seen, and everything published after
 * goes to its queue ({@link Hub} takes both under one lock). Only cursors the ChangeFeed read from
 * the database leave from here. Bounded by age and row count; a batch in progress is never split,
 * and one too large for the bounds empties the window until the next batch begins. Not thread-safe:
 * the hub's lock guards it.
 */
final class Recent {

    private record Entry(EncodedPage page, long nanos) {}

    private record Marks(Map<String, List<Long>> idsByUser, Snapshot snapshot, long nanos) {}

    private final int maxRows;
    private final long maxAgeNanos;
    private final ArrayDeque<Entry> pages = new ArrayDeque<>();
    private final ArrayDeque<Marks> marks = new ArrayDeque<>();
    private int rows;
    /** Rows after this (a cursor outside any batch) are all here; null: none are known to be. */
    private Cursor start;
    /** The cursor after the last page published; null before the first. */
    private Cursor last;
    /** When the feed began the read of the last page (wall clock, ms). */
    private long readStartedMillis;
    /** Read marks after this snapshot are all here; null before the first. */
    private Snapshot marksStart;
    /** The snapshot of the last marks read. */
    private Snapshot marksLast;

    Recent(int maxRows, long maxAgeNanos) {
        this.maxRows = maxRows;
        this.maxAgeNanos = maxAgeNanos;
    }

    /**
     * {@code encoded}: the page's events, or null when it has no rows; {@code readStartedMillis}:
     * when the feed began the read (its snapshot saw every commit before).
     */
    void add(Page page, EncodedPage encoded, long now, long readStartedMillis) {
        this.readStartedMillis = readStartedMillis;
        if (last == null || !page.from().equals(last)) {
            clear(); // the first page, or the feed started over: nothing before it is known to be complete
        }
        if (start == null && page.from().batch() == null) {
            clear();
            start = page.from();
        }
        if (encoded != null) {
            pages.add(new Entry(encoded, now));
            rows += encoded.size();
        }
        last = page.next();
        while (!pages.isEmpty() && (rows > maxRows || now - pages.peek().nanos > maxAgeNanos)) {
            Entry dropped = pages.poll();
            rows -= dropped.page.size();
            Cursor after = dropped.page.page.next();
            start = after.batch() == null ? after : null; // inside a batch: nothing until it ends
        }
    }

    private void clear() {
        pages.clear();
        rows = 0;
        start = null;
    }

    /** Marks committed after {@code since} and seen by {@code snapshot}. */
    void addMarks(Snapshot since, Map<String, List<Long>> idsByUser, Snapshot snapshot, long now) {
        if (marksLast == null || !since.equals(marksLast)) {
            marks.clear();
            marksStart = since;
        }
        if (!idsByUser.isEmpty()) {
            marks.add(new Marks(idsByUser, snapshot, now));
        }
        marksLast = snapshot;
        while (!marks.isEmpty() && now - marks.peek().nanos > maxAgeNanos) {
            marksStart = marks.poll().snapshot;
        }
    }

    /** True when a start from {@code from} (a cursor outside any batch) could be served from here. */
    boolean covers(Cursor from) {
        return start != null && marksStart != null && last != null && from.batch() == null
                && from.newestXmax() <= last.newestXmax()
                && from.base().seesAllOf(start.base()) && from.base().seesAllOf(marksStart);
    }

    /**
     * Extends the window back to {@code from}: {@code rows} are every user's rows {@code from} had
     * not seen, as read in {@code snapshot}; {@code marks} the read marks after {@code from} as read
     * in {@code marksSnapshot}. Of the rows, those the window's start had seen go in front (the rest
     * are here already, or on their way). False when the read is too old to join the window (it
     * moved on meanwhile) or the window has not begun.
     */
    boolean prepend(Cursor from, List<Notification> rows, Snapshot snapshot,
            Map<String, List<Long>> marks, Snapshot marksSnapshot, java.util.function.Function<Page, EncodedPage> encoder, long now) {
        if (start == null || marksStart == null || from.batch() != null
                || !snapshot.seesAllOf(start.base()) || !marksSnapshot.seesAllOf(marksStart)) {
            return false;
        }
        Snapshot startBase = start.base();
        List<Notification> before = rows.stream().filter(row -> !startBase.unseen(row.txid()))
                .sorted(java.util.Comparator.comparingLong(Notification::id)).toList();
        if (!before.isEmpty()) {
            EncodedPage page = encoder.apply(new Page(from, before, start, false, List.of()));
            pages.addFirst(new Entry(page, now));
            this.rows += page.size();
        }
        start = from;
        if (!marks.isEmpty()) {
            this.marks.addFirst(new Marks(marks, marksSnapshot, now)); // some may come twice: marks are idempotent
        }
        marksStart = from.base();
        return true;
    }

    /**
     * What a stream starting from {@code from} (null: "now", the moment of {@code requestMillis})
     * missed, if it is all here: null when the cursor is older than the window, inside a batch, or
     * ahead of the feed (perhaps from another database: the database path tells), and for "now"
     * when the feed's last read began before the request.
     */
    Catchup since(Audience audience, Cursor from, long requestMillis) {
        if (start == null || last == null) {
            return null;
        }
        if (from == null) {
            if (readStartedMillis <= requestMillis) {
                return null; // "now" is the request's: a row committed before it but not read yet would come live
            }
            return new Catchup(audience, null, List.of(), last, List.of());
        }
        if (!covers(from)) {
            return null;
        }
        List<EncodedPage> missed = new ArrayList<>(pages.size());
        for (Entry entry : pages) {
            missed.add(entry.page);
        }
        List<Long> reads = new ArrayList<>();
        for (Marks entry : marks) {
            reads.addAll(entry.idsByUser.getOrDefault(audience.user(), List.of()));
        }
        return new Catchup(audience, from, missed, last, reads);
    }
}
