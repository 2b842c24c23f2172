package dev.notificationstream.stream;

import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.db.Page;
import dev.notificationstream.feed.Catchup;
import dev.notificationstream.feed.StreamEnd;
import dev.notificationstream.feed.Subscriber;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.model.Audience;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.SQLException;
import java.util.List;
import java.util.logging.Logger;

/**
 * What a stream sends before it goes live: the hello, every page from the first (read by the
 * servlet) to "now" or the rows missed of the ChangeFeed's recent pages, the read marks made while the client was away, and a cursor frame when the
 * last page had no rows. Written with blocking writes at the client's pace, on whichever transport
 * holds the stream.
 */
public final class Replay {

    private static final Logger LOG = Logger.getLogger(Replay.class.getName());
    static final int PAGE = 500;

    private final NotificationStore store;
    private final EventFormat format;
    private final int retryMs;
    private final Audience audience;
    private final Page first;
    private final Catchup.Missed missed;
    private final Subscriber subscriber;
    private final Metrics metrics;

    /** From the database ({@code first}, the servlet's read) or from the ChangeFeed's recent pages ({@code missed}). */
    Replay(NotificationStore store, EventFormat format, int retryMs, Audience audience, Page first, Catchup.Missed missed,
            Subscriber subscriber, Metrics metrics) {
        this.store = store;
        this.format = format;
        this.retryMs = retryMs;
        this.audience = audience;
        this.first = first;
        this.missed = missed;
        this.subscriber = subscriber;
        this.metrics = metrics;
    }

    /**
     * Writes the replay to {@code out} and returns the snapshot it covered, for
     * {@link Subscriber#goLive}; null when the stream ended instead (the subscriber is ended then).
     */
    Subscriber.Replayed writeTo(OutputStream out) {
        try {
            out.write(format.hello(retryMs));
            if (missed != null) {
                return fromMemory(out);
            }
            Page page = first;
            while (true) {
                if (!page.rows().isEmpty()) {
                    metrics.replayed(page.rows().size());
                    out.write(format.encode(page).all());
                    out.flush();
                }
                if (!page.more() || subscriber.isEnding()) {
                    break;
                }
                page = store.after(audience, page.next(), PAGE);
            }
            if (page.rows().isEmpty()) {
                // The last page's cursor went out with no event: send it alone, so the client has a
                // resume point from the first second.
                out.write(format.cursorFrame(page.next()));
            }
            // Marks made while the client was away, for rows it may already show (read with the first page).
            if (!first.reads().isEmpty()) {
                out.write(format.readFrame(first.reads()));
            }
            out.flush();
            return new Subscriber.Replayed(page.next().base(), page.next());
        } catch (IOException | SQLException | RuntimeException interrupted) {
            LOG.fine(() -> "replay ended user=" + audience.user() + " reason=" + interrupted);
            subscriber.end(StreamEnd.CLIENT_GONE);
        }
        return null;
    }

    private Subscriber.Replayed fromMemory(OutputStream out) throws IOException {
        metrics.replayed(missed.rows());
        for (byte[] events : missed.events()) {
            out.write(events);
        }
        if (!missed.endsAtNext()) {
            out.write(format.cursorFrame(missed.next()));
        }
        if (!missed.reads().isEmpty()) {
            out.write(format.readFrame(missed.reads()));
        }
        out.flush();
        return new Subscriber.Replayed(missed.replayed(), missed.next());
    }
}
