package dev.notificationstream.feed;

import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Snapshot;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * One open stream: a bounded queue of what it has still to receive, drained by one fan-out writer.
 * Offering never blocks the ChangeFeed: a full queue (in items or in bytes) ends the stream, and
 * the client catches up from the database with its cursor. Everything that ends a stream ends it
 * in {@link #end}.
 */
public final class Subscriber {

    /**
     * A page's rows for this subscriber; turned into bytes by the writer, not the ChangeFeed.
     * {@code visibleAt}: when the ChangeFeed began the read that found them, where their delay starts.
     */
    private record Delivery(EncodedPage page, int[] rows, long visibleAt, long bytes) {}

    /**
     * The most handed to the container at once. A non-blocking write that does not fit the socket
     * is copied into the container's buffers whole: a client that stopped reading would hold a copy
     * of a whole page each, at 10,000 such clients gigabytes.
     */
    static final int CHUNK = 64 * 1024;

    /**
     * What a stream's replay sent: every row {@code seen} saw (live pages skip those), and
     * {@code cursor}, the client's resume point after it.
     */
    public record Replayed(Snapshot seen, Cursor cursor) {}

    /**
     * A heartbeat with the latest cursor, or with the one this stream sent last when the latest
     * would move the client's resume point back (a cursor event either way: an EventSource's
     * watchdog sees no comment).
     */
    private record Heartbeat(Cursor latest, byte[] withLatest, PageEncoder encoder) {}

    /** Queued after a goodbye frame: end the stream, for its reason, once everything before it is written. */
    private record Close(StreamEnd reason) {}

    final String user;
    private final Audience audience;
    /** This subscriber's number in its hub. */
    final int serial;
    final int shard;
    private final int capacity;
    private final long maxBytes;
    private final Backlog backlog;
    private final FanOut fanOut;
    private final Metrics metrics;
    private final BiConsumer<Subscriber, StreamEnd> onEnd;
    final AtomicBoolean scheduled = new AtomicBoolean();

    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private Sink sink;
    /** Rows this snapshot saw were sent by the replay; null once live pages can no longer hold any. */
    private Snapshot replayed;
    /**
     * The last cursor this stream sent: a heartbeat carries the latest only when that saw everything
     * this one did, so that the client's resume point never moves back (a resume would repeat rows).
     */
    private Cursor sent;
    /** Bytes of what is queued and of what is left of {@link #writing}. */
    private long queuedBytes;
    /** The item being written, {@link #CHUNK} by chunk, and how much of it went out. */
    private byte[] writing;
    private int written;
    private boolean unflushed;
    private long blockedSinceNanos;
    private StreamEnd ended;
    /** A goodbye and its end are queued ({@link #close}): a replay stops at its next page, and going live writes them. */
    private boolean closeQueued;
    /** What the stream waits for besides its client (its token's expiry); cancelled when it ends. */
    private Future<?> timer;
    /** The start was answered (Hub.opened); read by the hub once the stream has ended. */
    private boolean opened;

    Subscriber(Audience audience, int serial, int capacity, long maxBytes, Backlog backlog, FanOut fanOut, Metrics metrics,
            BiConsumer<Subscriber, StreamEnd> onEnd) {
        this.audience = audience;
        this.user = audience.user();
        this.serial = serial;
        this.shard = Math.floorMod(serial, fanOut.shards());
        this.capacity = capacity;
        this.maxBytes = maxBytes;
        this.backlog = backlog;
        this.fanOut = fanOut;
        this.metrics = metrics;
        this.onEnd = onEnd;
    }

    Audience audience() {
        return audience;
    }

    /**
     * Starts writing: the replay up to {@code replayed} has been sent, so queued and future pages
     * skip the rows it covered. Returns false when the stream ended meanwhile (its queue overflowed).
     */
    public boolean goLive(Sink sink, Replayed replay) {
        lock.lock();
        try {
            if (ended != null) {
                return false;
            }
            this.sink = sink;
            this.replayed = replay.seen();
            this.sent = replay.cursor();
        } finally {
            lock.unlock();
        }
        wake(); // what came during the replay (pages, a goodbye) goes out now, not with the next heartbeat
        return true;
    }

    /** False when the stream ended first. */
    boolean markOpened() {
        lock.lock();
        try {
            opened = ended == null;
            return opened;
        } finally {
            lock.unlock();
        }
    }

    boolean wasOpened() {
        lock.lock();
        try {
            return opened;
        } finally {
            lock.unlock();
        }
    }

    /** The client can take more: let its writer run. */
    public void wake() {
        fanOut.schedule(this);
    }

    /** Queues a frame that is no notification (read marks). */
    void send(byte[] frame) {
        offer(frame);
    }

    void deliver(EncodedPage page, int[] rows, long visibleAtMillis) {
        offer(new Delivery(page, rows, visibleAtMillis, page.length(rows)));
    }

    /** Bytes queued and not yet written. */
    long queuedBytes() {
        lock.lock();
        try {
            return queuedBytes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A heartbeat tick: ends a stream that stopped reading, else queues the heartbeat, which carries
     * {@code latest} ({@code withLatest}) or, made by {@code encoder}, this stream's last cursor.
     */
    void tick(Cursor latest, byte[] withLatest, PageEncoder encoder, long stalledAfterNanos) {
        lock.lock();
        try {
            if (sink == null || ended != null) {
                return;
            }
            if (blockedSinceNanos != 0 && System.nanoTime() - blockedSinceNanos > stalledAfterNanos) {
                end(StreamEnd.SLOW_CONSUMER);
                return;
            }
            offer(new Heartbeat(latest, withLatest, encoder));
            metrics.heartbeat();
        } finally {
            lock.unlock();
        }
    }

    /** Sends {@code goodbye} after what is queued, then ends the stream for {@code reason}. */
    void close(byte[] goodbye, StreamEnd reason) {
        lock.lock();
        try {
            if (ended != null || closeQueued) {
                return;
            }
            // After what is queued; a stream still replaying (or being handed over) sends it when
            // it goes live, so that client too comes back when told, not on its default retry.
            enqueue(goodbye);
            queue.add(new Close(reason));
            closeQueued = true;
        } finally {
            lock.unlock();
        }
        wake();
    }

    private void offer(Object item) {
        lock.lock();
        try {
            if (ended != null) {
                return;
            }
            long bytes = size(item);
            // One item always fits: a page is never split, and a stream that takes it is no slow consumer.
            if (queue.size() >= capacity || queuedBytes > 0 && queuedBytes + bytes > maxBytes) {
                end(StreamEnd.SLOW_CONSUMER);
                return;
            }
            enqueue(item);
        } finally {
            lock.unlock();
        }
        if (sink != null) {
            wake();
        }
    }

    private static long size(Object item) {
        return switch (item) {
            case Delivery delivery -> delivery.bytes;
            case byte[] frame -> frame.length;
            case Heartbeat heartbeat -> heartbeat.withLatest.length;
            default -> 0;
        };
    }

    private void enqueue(Object item) {
        queue.add(item);
        queuedBytes += size(item);
        if (item instanceof Delivery delivery) {
            backlog.hold(delivery.page);
        }
    }

    private Object dequeue() {
        Object item = queue.poll();
        queuedBytes -= size(item);
        if (item instanceof Delivery delivery) {
            backlog.release(delivery.page);
        }
        return item;
    }

    /** Writes what is queued for as long as the client takes it; run by this subscriber's writer. */
    void drain() {
        lock.lock();
        try {
            if (sink == null || ended != null) {
                return;
            }
            while (sink.isReady()) {
                if (writing != null) {
                    int length = Math.min(CHUNK, writing.length - written);
                    sink.write(writing, written, length);
                    written += length;
                    queuedBytes -= length;
                    unflushed = true;
                    if (written == writing.length) {
                        writing = null;
                    }
                    continue;
                }
                Object item = queue.peek();
                if (item == null || item instanceof Close) {
                    if (unflushed) {
                        sink.flush();
                        unflushed = false;
                        continue; // a flush that could not finish turns isReady false
                    }
                    blockedSinceNanos = 0;
                    if (item instanceof Close close) {
                        end(close.reason);
                    }
                    return;
                }
                dequeue();
                byte[] bytes = switch (item) {
                    case Delivery delivery -> bytesOf(delivery);
                    case Heartbeat heartbeat -> bytesOf(heartbeat);
                    default -> (byte[]) item;
                };
                if (bytes.length > 0) {
                    writing = bytes;
                    written = 0;
                    queuedBytes += bytes.length;
                }
            }
            if (blockedSinceNanos == 0) {
                blockedSinceNanos = System.nanoTime();
            }
        } catch (IOException | IllegalStateException gone) {
            end(StreamEnd.CLIENT_GONE);
        } finally {
            lock.unlock();
        }
    }

    private byte[] bytesOf(Heartbeat heartbeat) {
        Cursor latest = heartbeat.latest;
        if (latest == null || sent != null && !latest.base().seesAllOf(sent.batchOrBase())) {
            return heartbeat.encoder.heartbeat(sent); // rare: the feed is behind this stream's replay
        }
        sent = latest;
        return heartbeat.withLatest;
    }

    private byte[] bytesOf(Delivery delivery) {
        EncodedPage page = delivery.page;
        // Once a page starts where the replay ended, no later page holds a row the replay sent.
        if (replayed != null && page.page.from().base().xmin() >= replayed.xmax()) {
            replayed = null;
        }
        int[] rows = page.visible(delivery.rows, replayed);
        int count = rows == null ? page.size() : rows.length;
        if (count > 0) {
            sent = page.page.next(); // the id line that closes them
        }
        metrics.sent(count, delivery.visibleAt, System.currentTimeMillis());
        return page.bytes(rows);
    }

    /** Keeps {@code next} to cancel when the stream ends (at once if it has). */
    void timer(Future<?> next) {
        lock.lock();
        try {
            timer = next;
            if (ended != null) {
                next.cancel(false);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Ends the stream once, for one reason. Safe from any thread. */
    public void end(StreamEnd reason) {
        Sink closing;
        lock.lock();
        try {
            if (ended != null) {
                return;
            }
            ended = reason;
            while (!queue.isEmpty()) {
                dequeue();
            }
            writing = null;
            queuedBytes = 0;
            closing = sink;
            if (timer != null) {
                timer.cancel(false);
            }
        } finally {
            lock.unlock();
        }
        onEnd.accept(this, reason);
        if (closing != null) {
            // Not under our lock: completing may call back into the container, whose threads call us.
            Thread.startVirtualThread(closing::close);
        }
    }

    /** Ended, or told to end after what is queued: a replay stops here. */
    public boolean isEnding() {
        lock.lock();
        try {
            return ended != null || closeQueued;
        } finally {
            lock.unlock();
        }
    }

    public boolean isEnded() {
        lock.lock();
        try {
            return ended != null;
        } finally {
            lock.unlock();
        }
    }
}
