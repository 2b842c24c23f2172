package dev.notificationstream.feed;

import dev.notificationstream.db.Database;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.db.Page;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Snapshot;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The one reader of new rows in this instance. A dedicated connection LISTENs for the trigger's
 * payload-less wake-ups; on each wake-up, on a slow safety timer, and after every reconnect it
 * reads every row committed since its cursor, page by page, and publishes the pages to the hub.
 * Wake-ups that arrive while it reads are coalesced into the next read. The same connection
 * listens for changes of the run-time settings ({@link SettingsWatcher}).
 *
 * <p>A quiet LISTEN connection is probed each second, so a network that went silent is noticed
 * within {@code listenTimeoutSeconds} of it; while the connection is down (and while it is being
 * opened again) new rows are read through the pool once a second, so an outage of the listening
 * path costs about a second of latency. The cursor moves with each page published, whichever
 * connection read it: a read cut short is not published again.
 */
public final class ChangeFeed {

    private static final Logger LOG = Logger.getLogger(ChangeFeed.class.getName());
    private static final long MAX_BACKOFF_MILLIS = 10_000;
    /** Between back-to-back reads while rows keep coming: lets a few commits gather into one read. */
    private static final long BUSY_PAUSE_MILLIS = 2;
    /** How long the LISTEN connection may stay quiet before it is probed. */
    private static final int PROBE_MILLIS = 1_000;
    /** How often new rows are read through the pool while the LISTEN connection is down. */
    private static final long POOL_READ_MILLIS = 1_000;

    private final String url;
    private final DataSource pool;
    private final NotificationStore store;
    private final Hub hub;
    private final int safetyMillis;
    private final int pageSize;
    private final int listenTimeoutSeconds;
    private final Metrics metrics;
    private final SettingsWatcher settings;

    private volatile boolean running = true;
    private volatile boolean listening;
    private volatile Instant lastFetch;
    private volatile long reconnects;
    private Thread thread;
    private Thread poolReader;

    /** One read at a time, the LISTEN connection's or the pool's; it guards what follows. */
    private final ReentrantLock reading = new ReentrantLock();
    /** After the last page published; null before the first read. */
    private Cursor cursor;
    /** When the last read began (epoch ms): every row committed before then was in it. */
    private long lastReadBeganMillis;
    /** Read marks are followed by a snapshot of their own: they are not paged with the rows. */
    private Snapshot readsSeen;
    /** Whether the last catch-up found rows: then more are likely on the way, so read again at once. */
    private boolean lastReadHadRows;

    public ChangeFeed(String url, DataSource pool, NotificationStore store, Hub hub, int safetySeconds, int pageSize,
            int listenTimeoutSeconds, Metrics metrics, SettingsWatcher settings) {
        this.url = url;
        this.settings = settings;
        this.pool = pool;
        this.metrics = metrics;
        this.store = store;
        this.hub = hub;
        this.safetyMillis = safetySeconds * 1000;
        this.pageSize = pageSize;
        this.listenTimeoutSeconds = listenTimeoutSeconds;
    }

    public void start() {
        thread = Thread.ofVirtual().name("change-feed").start(this::run);
        poolReader = Thread.ofVirtual().name("change-feed-pool-reader").start(this::readThroughPoolWhileDown);
    }

    /** How rows reach this instance: as they commit, through the pool once a second, or not at all. */
    public enum State { UP, POLLING, DOWN }

    public State state() {
        if (listening) {
            return State.UP;
        }
        Instant last = lastFetch;
        return last != null && last.isAfter(Instant.now().minusMillis(3 * POOL_READ_MILLIS)) ? State.POLLING : State.DOWN;
    }

    /** When the last read finished, through either connection, or null before the first. */
    public Instant lastFetch() {
        return lastFetch;
    }

    public long reconnects() {
        return reconnects;
    }

    private void run() {
        int failures = 0;
        while (running) {
            try (Connection connection = Database.openDedicated(url, listenTimeoutSeconds)) {
                try (Statement listen = connection.createStatement()) {
                    listen.execute("LISTEN notifications"); // before the catch-up read, or a commit between them waits for the timer
                    listen.execute("LISTEN " + SettingsWatcher.CHANNEL);
                }
                settings.reload(connection); // a change made while this instance was not listening
                PGConnection notifications = connection.unwrap(PGConnection.class);
                // Listening from here: said before the catch-up publishes its rows, so whoever sees a
                // row also sees the feed listening (readiness raced the rows).
                listening = true;
                read(connection);
                if (failures > 0) {
                    LOG.info("change feed reconnected after " + failures + " failed attempt(s)");
                }
                failures = 0;
                long lastRead = System.nanoTime();
                while (running) {
                    // Returns on a wake-up, and at once with the ones that came during the last read
                    // (the socket makes it return with what has arrived: PromptListenSocketFactory).
                    // A quiet second ends in a probe, whose read timeout notices a network that went
                    // silent, and every safetyMillis in a read, the safety net. While rows keep
                    // coming, pause instead, so a few commits gather into one read, and drop the
                    // wake-ups that came meanwhile: the next read covers them, and pgjdbc would
                    // keep them in memory.
                    PGNotification[] woken;
                    if (!lastReadHadRows) {
                        woken = notifications.getNotifications(PROBE_MILLIS);
                        if ((woken == null || woken.length == 0) && System.nanoTime() - lastRead < safetyMillis * 1_000_000L) {
                            probe(connection);
                            continue;
                        }
                    } else if (sleep(BUSY_PAUSE_MILLIS)) {
                        woken = notifications.getNotifications();
                    } else {
                        break; // stopping
                    }
                    if (woken != null && Arrays.stream(woken).anyMatch(n -> SettingsWatcher.CHANNEL.equals(n.getName()))) {
                        settings.reload(connection);
                    }
                    read(connection);
                    lastRead = System.nanoTime();
                }
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (!running) {
                    break;
                }
                failures++;
                reconnects++;
                metrics.feedReconnected();
                long backoff = backoffMillis(failures);
                LOG.warning("change feed lost its LISTEN connection, reading through the pool meanwhile; retrying in "
                        + backoff + " ms reason=" + e.getMessage());
                if (!sleep(backoff)) {
                    break;
                }
            }
        }
        listening = false;
    }

    private static void probe(Connection connection) throws SQLException {
        try (Statement probe = connection.createStatement()) {
            probe.execute("SELECT 1");
        }
    }

    /** While the LISTEN connection is down, reads new rows through the pool once a second. */
    private void readThroughPoolWhileDown() {
        while (sleep(POOL_READ_MILLIS) && running) {
            if (listening) {
                continue;
            }
            try (Connection connection = pool.getConnection()) {
                read(connection);
            } catch (SQLException | RuntimeException e) {
                LOG.fine(() -> "change feed could not read through the pool reason=" + e.getMessage());
            }
        }
    }

    /**
     * Makes sure a read that began after {@code requestMillis} has been published, reading through
     * the pool if none has: a stream start "now" is then served from the recent pages, which hold
     * every row committed before its request. A storm of starts shares the reads: each waits for
     * the read in progress, and the first to find that it began too early reads for all that wait
     * behind it. False when the feed does not run or the read failed (the start reads alone).
     */
    public boolean readAfter(long requestMillis) {
        if (!running) {
            return false;
        }
        reading.lock();
        try {
            if (lastReadBeganMillis > requestMillis) {
                return true; // the read this one waited for, or one since, began after the request
            }
            while (System.currentTimeMillis() <= requestMillis) {
                Thread.sleep(1); // a read begun in the request's millisecond might not see a commit of that millisecond
            }
            try (Connection connection = pool.getConnection()) {
                read(connection);
                return true;
            }
        } catch (SQLException | RuntimeException failed) {
            LOG.fine(() -> "change feed could not read for a start reason=" + failed.getMessage());
            return false;
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            reading.unlock();
        }
    }

    /** Reads every page after the cursor and publishes it, moving the cursor with each page. */
    private void read(Connection connection) throws SQLException {
        reading.lock();
        try {
            if (cursor == null) {
                cursor = NotificationStore.now(connection);
                readsSeen = cursor.base();
            }
            long started = System.nanoTime();
            // Every row this read finds was visible when it began: a wake-up comes at the commit.
            long visibleAt = System.currentTimeMillis();
            lastReadBeganMillis = visibleAt;
            Page page;
            lastReadHadRows = false;
            do {
                page = store.after(connection, null, cursor, pageSize); // every user's rows
                lastReadHadRows |= !page.rows().isEmpty();
                hub.publish(page, visibleAt);
                cursor = page.next();
            } while (page.more() && running);
            NotificationStore.Reads reads = store.readsAfter(connection, readsSeen);
            hub.publishReads(readsSeen, reads.idsByUser(), reads.snapshot());
            readsSeen = reads.snapshot();
            lastFetch = Instant.now();
            metrics.feedFetched(System.nanoTime() - started);
        } finally {
            reading.unlock();
        }
    }

    /** Capped exponential backoff with jitter, so instances do not reconnect in step. */
    static long backoffMillis(int failures) {
        long cap = Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(failures, 20));
        return cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException stopping) {
            return false;
        }
    }

    /** Stops reading; interrupting the blocked wait closes the connection. */
    public void stop() throws InterruptedException {
        running = false;
        for (Thread reader : new Thread[] {thread, poolReader}) {
            if (reader != null) {
                reader.interrupt();
                reader.join(5_000);
            }
        }
    }
}
