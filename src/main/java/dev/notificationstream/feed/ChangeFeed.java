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
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.postgresql.PGConnection;

/**
 * The one reader of new rows in this instance. A dedicated connection LISTENs for the trigger's
 * payload-less wake-ups; on each wake-up, on a slow safety timer, and after every reconnect it
 * reads every row committed since its cursor, page by page, and publishes the pages to the hub.
 * Wake-ups that arrive while it reads are coalesced into the next read.
 */
public final class ChangeFeed {

    private static final Logger LOG = Logger.getLogger(ChangeFeed.class.getName());
    private static final long MAX_BACKOFF_MILLIS = 10_000;
    /** Between back-to-back reads while rows keep coming: lets a few commits gather into one read. */
    private static final long BUSY_PAUSE_MILLIS = 2;

    private final String url;
    private final NotificationStore store;
    private final Hub hub;
    private final int safetyMillis;
    private final int pageSize;
    private final Metrics metrics;

    private volatile boolean running = true;
    private volatile boolean connected;
    private volatile Instant lastFetch;
    private volatile long reconnects;
    /** Whether the last catch-up found rows: then more are likely on the way, so read again at once. */
    private boolean lastReadHadRows;
    private Thread thread;
    /** Read marks are followed by a snapshot of their own: they are not paged with the rows. */
    private Snapshot readsSeen;

    public ChangeFeed(String url, NotificationStore store, Hub hub, int safetySeconds, int pageSize, Metrics metrics) {
        this.url = url;
        this.metrics = metrics;
        this.store = store;
        this.hub = hub;
        this.safetyMillis = safetySeconds * 1000;
        this.pageSize = pageSize;
    }

    public void start() {
        thread = Thread.ofVirtual().name("change-feed").start(this::run);
    }

    public boolean isConnected() {
        return connected;
    }

    /** When the last read finished, or null before the first. */
    public Instant lastFetch() {
        return lastFetch;
    }

    public long reconnects() {
        return reconnects;
    }

    private void run() {
        Cursor cursor = null;
        int failures = 0;
        while (running) {
            // The read timeout must outlast the wait for notifications, or every quiet wait would fail.
            int socketTimeoutSeconds = 2 * safetyMillis / 1000 + 10;
            try (Connection connection = Database.openDedicated(url, socketTimeoutSeconds)) {
                try (Statement listen = connection.createStatement()) {
                    listen.execute("LISTEN notifications"); // before the catch-up read, or a commit between them waits for the timer
                }
                if (cursor == null) {
                    cursor = NotificationStore.now(connection);
                    readsSeen = cursor.base();
                }
                PGConnection notifications = connection.unwrap(PGConnection.class);
                cursor = catchUp(connection, cursor);
                if (failures > 0) {
                    LOG.info("change feed reconnected after " + failures + " failed attempt(s) cursor=" + cursor);
                }
                connected = true;
                failures = 0;
                while (running) {
                    // Returns on a wake-up, and at once with the ones that came during the last read
                    // (the socket makes it return with what has arrived: PromptListenSocketFactory).
                    // The read after a timeout is the safety net and the probe that makes a silently
                    // dead network fail through the read timeout. While rows keep coming, pause
                    // instead, so a few commits gather into one read, and drop the wake-ups that came
                    // meanwhile: the next read covers them, and pgjdbc would keep them in memory.
                    if (!lastReadHadRows) {
                        notifications.getNotifications(safetyMillis);
                    } else if (sleep(BUSY_PAUSE_MILLIS)) {
                        notifications.getNotifications();
                    } else {
                        break; // stopping
                    }
                    cursor = catchUp(connection, cursor);
                }
            } catch (SQLException | RuntimeException e) {
                connected = false;
                if (!running) {
                    break;
                }
                failures++;
                reconnects++;
                metrics.feedReconnected();
                long backoff = backoffMillis(failures);
                LOG.log(Level.WARNING, "change feed lost its connection (" + e.getMessage() + "); retrying in " + backoff + " ms cursor=" + cursor);
                if (!sleep(backoff)) {
                    break;
                }
            }
        }
        connected = false;
    }

    /** Reads every page after {@code cursor} and publishes it; returns the cursor after the last. */
    private Cursor catchUp(Connection connection, Cursor cursor) throws SQLException {
        long started = System.nanoTime();
        Page page;
        lastReadHadRows = false;
        do {
            page = store.after(connection, null, cursor, pageSize); // every user's rows
            lastReadHadRows |= !page.rows().isEmpty();
            hub.publish(page);
            cursor = page.next();
        } while (page.more() && running);
        NotificationStore.Reads reads = store.readsAfter(connection, readsSeen);
        hub.publishReads(readsSeen, reads.idsByUser(), reads.snapshot());
        readsSeen = reads.snapshot();
        lastFetch = Instant.now();
        metrics.feedFetched(System.nanoTime() - started);
        return cursor;
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
        if (thread != null) {
            thread.interrupt();
            thread.join(5_000);
        }
    }
}
