package dev.notificationstream.feed;

import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.db.Page;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import dev.notificationstream.model.Snapshot;
import dev.notificationstream.config.QueueLimits;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * Who is listening: subscribers by user, and all of them for broadcast rows. The ChangeFeed
 * publishes each page here once; the hub encodes it once and queues each subscriber its share,
 * never waiting for any of them. It keeps what was published lately ({@link Recent}), so that a
 * stream resuming from a recent cursor, or starting "now", needs no query.
 */
public final class Hub {

    private final PageEncoder encoder;
    private final FanOut fanOut;
    private final int queueCapacity;
    private final long queueBytes;
    private final Backlog backlog;
    private final Metrics metrics;
    private final Map<String, Set<Subscriber>> byUser = new ConcurrentHashMap<>();
    private final Set<Subscriber> all = ConcurrentHashMap.newKeySet();
    /** Streams whose start has been answered: not those still waiting for the database. */
    private final AtomicInteger open = new AtomicInteger();
    /** Numbers the subscribers: a subscriber's number picks its writer and its heartbeat second. */
    private final AtomicInteger serials = new AtomicInteger();
    /** Counts {@link #heartbeat} calls; only the heartbeat thread touches it. */
    private int heartbeatSecond;
    /** The cursor of the last complete batch, or null before the first; heartbeats carry it. */
    private volatile Cursor latest;
    private volatile boolean closing;
    /**
     * Held while a page or marks are published and while a stream starts from {@link #recent}: what
     * was published before a start is in its backlog, what comes after is in its queue.
     */
    private final ReentrantLock publishing = new ReentrantLock();
    private final Recent recent;
    private final int recentRows;
    /** Serialises {@link #extend}: a storm's resumes wait for the first one's read. */
    private final ReentrantLock backfilling = new ReentrantLock();
    /** A cursor too far back to extend the window to; null until one was. Guarded by {@link #backfilling}. */
    private Snapshot tooOld;
    /** Ends streams when their tokens expire; one thread, as each of its tasks only queues a frame or ends a stream. */
    private final ScheduledThreadPoolExecutor expiry = new ScheduledThreadPoolExecutor(1, Thread.ofVirtual().name("sse-expiry").factory());

    /** What a stream starting from the recent pages gets: its subscriber and what it missed. */
    public record Start(Subscriber subscriber, Catchup catchup) {}

    /** Keeps the recent pages as {@link #RECENT_ROWS} rows of the last {@link #RECENT_SECONDS} seconds at most. */
    public Hub(PageEncoder encoder, int writerThreads, int queueCapacity, QueueLimits queueLimits, Metrics metrics) {
        this(encoder, writerThreads, queueCapacity, queueLimits, metrics, RECENT_ROWS, RECENT_SECONDS);
    }

    static final int RECENT_ROWS = 10_000;
    static final int RECENT_SECONDS = 60;
    private static final int BACKFILL_PAGE = 500;

    Hub(PageEncoder encoder, int writerThreads, int queueCapacity, QueueLimits queueLimits, Metrics metrics, int recentRows,
            int recentSeconds) {
        this.encoder = encoder;
        this.fanOut = new FanOut(writerThreads);
        this.queueCapacity = queueCapacity;
        this.queueBytes = queueLimits.streamBytes();
        this.backlog = new Backlog(queueLimits.totalBytes());
        this.metrics = metrics;
        this.recent = new Recent(recentRows, TimeUnit.SECONDS.toNanos(recentSeconds));
        this.recentRows = recentRows;
        metrics.activeStreams(open::get);
        expiry.setRemoveOnCancelPolicy(true); // a stream that ended leaves nothing behind
    }

    /**
     * Subscribes a stream that starts from {@code from} (null: "now") if what it missed is all in
     * the recent pages; null when it is not (the caller reads the database instead).
     */
    public Start start(Audience audience, Cursor from, long requestMillis, Consumer<StreamEnd> onEnd) {
        publishing.lock();
        try {
            Catchup catchup = recent.since(audience, from, requestMillis);
            return catchup == null ? null : new Start(subscribe(audience, onEnd), catchup);
        } finally {
            publishing.unlock();
        }
    }

    /**
     * Extends the recent pages back to {@code from} with one read of every user's rows since it, so
     * that the resumes of a storm (an instance restarted, its clients back with the cursors the old
     * one gave them) share one query instead of one each. At most {@link #RECENT_ROWS} rows: a
     * cursor further back (and any older than it) goes to the database alone. Returns true when the
     * recent pages now cover {@code from}.
     */
    public boolean extend(Cursor from, NotificationStore store) throws SQLException {
        if (from == null || from.batch() != null) {
            return false;
        }
        backfilling.lock(); // the first of a storm reads; the others find the window extended
        try {
            publishing.lock();
            try {
                if (recent.covers(from)) {
                    return true;
                }
            } finally {
                publishing.unlock();
            }
            if (tooOld != null && tooOld.seesAllOf(from.base())) {
                return false;
            }
            List<Notification> rows = new ArrayList<>();
            Page page;
            NotificationStore.Reads marks;
            try (Connection connection = store.connection()) {
                Cursor cursor = from;
                do {
                    page = store.after(connection, null, cursor, BACKFILL_PAGE); // every user's rows
                    rows.addAll(page.rows());
                    cursor = page.next();
                    if (rows.size() > recentRows) {
                        tooOld = from.base();
                        return false;
                    }
                } while (page.more());
                marks = store.readsAfter(connection, from.base());
            }
            publishing.lock();
            try {
                return recent.prepend(from, rows, page.next().base(), marks.idsByUser(), marks.snapshot(), encoder::encode, System.nanoTime())
                        && recent.covers(from);
            } finally {
                publishing.unlock();
            }
        } finally {
            backfilling.unlock();
        }
    }

    /**
     * Starts queueing the user's rows; they are written once the subscriber goes live.
     * {@code onEnd} runs once when the stream ends, whatever ends it.
     */
    public Subscriber subscribe(Audience audience, Consumer<StreamEnd> onEnd) {
        Subscriber subscriber = new Subscriber(audience, serials.getAndIncrement(), queueCapacity, queueBytes, backlog, fanOut, metrics, (ended, reason) -> {
            remove(ended);
            if (ended.wasOpened()) {
                open.decrementAndGet();
            }
            metrics.streamEnded(reason.name());
            if (reason == StreamEnd.ERROR) {
                metrics.sseError("server");
            }
            onEnd.accept(reason);
        });
        byUser.computeIfAbsent(audience.user(), u -> ConcurrentHashMap.newKeySet()).add(subscriber);
        all.add(subscriber);
        return subscriber;
    }

    /**
     * A stream never outlives its sign-in token: it hears {@code token-expiring} a minute before
     * {@code exp} (or half its remaining life when that is shorter), and ends at {@code exp}.
     */
    public void expireAt(Subscriber subscriber, Instant exp) {
        long left = Math.max(0, Duration.between(Instant.now(), exp).toMillis());
        long lead = Math.min(TimeUnit.MINUTES.toMillis(1), left / 2);
        byte[] warning = encoder.tokenExpiring(exp.getEpochSecond());
        subscriber.timer(expiry.schedule(() -> {
            subscriber.send(warning);
            subscriber.timer(expiry.schedule(() -> subscriber.end(StreamEnd.TOKEN_EXPIRED), lead, TimeUnit.MILLISECONDS));
        }, left - lead, TimeUnit.MILLISECONDS));
    }

    private void remove(Subscriber subscriber) {
        all.remove(subscriber);
        byUser.computeIfPresent(subscriber.user, (user, set) -> {
            set.remove(subscriber);
            return set.isEmpty() ? null : set;
        });
    }

    /** True once {@link #close} began: new streams are refused. */
    public boolean isClosing() {
        return closing;
    }

    /** The stream's first read answered: it counts as open from now until it ends. */
    public void opened(Subscriber subscriber) {
        if (subscriber.markOpened()) {
            open.incrementAndGet();
        }
    }

    /** Open streams: those whose start was answered, not those still waiting for the database. */
    public int activeStreams() {
        return open.get();
    }

    /** Queues each subscriber its rows of the page: its own, everyone's and its roles'. */
    public void publish(Page page, long visibleAtMillis) {
        List<Notification> rows = page.rows();
        EncodedPage encoded = rows.isEmpty() ? null : encoder.encode(page);
        publishing.lock();
        try {
            recent.add(page, encoded, System.nanoTime(), visibleAtMillis);
            deliver(page, encoded, visibleAtMillis);
        } finally {
            publishing.unlock();
        }
    }

    private void deliver(Page page, EncodedPage encoded, long visibleAtMillis) {
        List<Notification> rows = page.rows();
        if (encoded != null && !all.isEmpty()) {
            Shares shares = Shares.of(rows, Instant.now());
            if (shares.broadcast.length == 0) {
                shares.own.forEach((user, indexes) -> byUser.getOrDefault(user, Set.of())
                        .forEach(subscriber -> subscriber.deliver(encoded, indexes, visibleAtMillis)));
            } else {
                boolean everyRowToAll = shares.broadcast.length == rows.size() && !shares.roles;
                for (Subscriber subscriber : all) {
                    int[] common = shares.roles ? forRoles(subscriber.audience(), rows, shares.broadcast) : shares.broadcast;
                    int[] mine = shares.own.get(subscriber.user);
                    subscriber.deliver(encoded, mine != null ? merge(common, mine) : everyRowToAll ? null : common, visibleAtMillis);
                }
            }
        }
        if (backlog.isOver()) {
            shed();
        }
        if (!page.more()) {
            latest = page.next();
        }
    }

    /** Ends the streams holding the most until what all queues hold is within its bound again. */
    private void shed() {
        record Held(Subscriber subscriber, long bytes) {}
        List<Held> heaviest = all.stream().map(s -> new Held(s, s.queuedBytes()))
                .filter(held -> held.bytes > 0)
                .sorted(Comparator.comparingLong(Held::bytes).reversed())
                .toList();
        for (Held held : heaviest) {
            if (!backlog.isOver()) {
                return;
            }
            held.subscriber.end(StreamEnd.SLOW_CONSUMER);
        }
    }

    /** What all queues hold, in bytes, each page once. */
    public long queuedBytes() {
        return backlog.held();
    }

    /**
     * A page's rows by audience: indexes of the rows for everyone or a role ({@code broadcast},
     * {@code roles} true when a role is among them), and each user's own. Expired rows go to no one.
     */
    private record Shares(int[] broadcast, boolean roles, Map<String, int[]> own) {
        static Shares of(List<Notification> rows, Instant now) {
            IntStream.Builder broadcast = IntStream.builder();
            boolean roles = false;
            Map<String, IntStream.Builder> recipients = new HashMap<>();
            for (int i = 0; i < rows.size(); i++) {
                Notification row = rows.get(i);
                if (row.expiresAt() != null && !row.expiresAt().isAfter(now)) {
                    continue;
                }
                if (row.isBroadcast()) {
                    broadcast.add(i);
                    roles |= row.recipientRole() != null;
                } else {
                    recipients.computeIfAbsent(row.recipient(), r -> IntStream.builder()).add(i);
                }
            }
            Map<String, int[]> own = new HashMap<>();
            recipients.forEach((user, indexes) -> own.put(user, indexes.build().toArray()));
            return new Shares(broadcast.build().toArray(), roles, own);
        }
    }

    /** The broadcast rows this subscriber's roles let through. */
    private static int[] forRoles(Audience audience, List<Notification> rows, int[] broadcast) {
        IntStream.Builder kept = IntStream.builder();
        for (int i : broadcast) {
            if (audience.receives(rows.get(i))) {
                kept.add(i);
            }
        }
        return kept.build().toArray();
    }

    private static int[] merge(int[] a, int[] b) {
        int[] merged = new int[a.length + b.length];
        int i = 0, j = 0, k = 0;
        while (i < a.length || j < b.length) {
            merged[k++] = j == b.length || i < a.length && a[i] < b[j] ? a[i++] : b[j++];
        }
        return merged;
    }

    /**
     * Tells each user's open streams which rows they marked read, wherever they did it: the marks
     * committed after {@code since} that {@code snapshot} saw.
     */
    public void publishReads(Snapshot since, Map<String, List<Long>> idsByUser, Snapshot snapshot) {
        publishing.lock();
        try {
            recent.addMarks(since, idsByUser, snapshot, System.nanoTime());
            idsByUser.forEach((user, ids) -> {
                Set<Subscriber> streams = byUser.getOrDefault(user, Set.of());
                if (!streams.isEmpty()) {
                    byte[] frame = encoder.readFrame(ids);
                    streams.forEach(subscriber -> subscriber.send(frame));
                }
            });
        } finally {
            publishing.unlock();
        }
    }

    /**
     * Run once a second: this second's share of the live streams gets a heartbeat carrying the
     * latest cursor, so each stream gets one per interval and no second writes to all of them at
     * once (at 10,000 streams that burst held rows back by ~0.1 s, docs/benchmarks.md, scenario 3).
     */
    public void heartbeat(int heartbeatSeconds) {
        int second = Math.floorMod(heartbeatSecond++, heartbeatSeconds);
        Cursor cursor = latest;
        byte[] withLatest = encoder.heartbeat(cursor);
        // A client that took nothing for two heartbeats is not reading: let it catch up later.
        long stalledAfter = TimeUnit.SECONDS.toNanos(2L * heartbeatSeconds);
        for (Subscriber subscriber : all) {
            if (Math.floorMod(subscriber.serial, heartbeatSeconds) == second) {
                subscriber.tick(cursor, withLatest, encoder, stalledAfter);
            }
        }
    }

    /**
     * Ends the streams of the audiences {@code out} picks, for {@code reason}, each after what it
     * has queued and then {@code goodbye}; the others carry on.
     */
    public void closeWhere(Predicate<Audience> out, byte[] goodbye, StreamEnd reason) {
        for (Subscriber subscriber : all) {
            if (out.test(subscriber.audience())) {
                subscriber.close(goodbye, reason);
            }
        }
    }

    /** Tells every stream when to come back, and stops the writers once they have or time is up. */
    public void close(int retryMs, long waitMillis) throws InterruptedException {
        closing = true;
        for (Subscriber subscriber : all) {
            // Spread the comeback over the retry interval so a restart is not a stampede.
            int jittered = retryMs / 2 + ThreadLocalRandom.current().nextInt(retryMs / 2 + 1);
            subscriber.close(encoder.goodbye(jittered), StreamEnd.SHUTDOWN);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (!all.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        for (Subscriber subscriber : all) {
            subscriber.end(StreamEnd.SHUTDOWN);
        }
        expiry.shutdownNow();
        fanOut.stop();
    }
}
