package dev.notificationstream.stream;

import dev.notificationstream.http.Identity;
import dev.notificationstream.http.Params;
import dev.notificationstream.http.Json;
import dev.notificationstream.config.Config;
import dev.notificationstream.db.CursorAheadException;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.db.Page;
import dev.notificationstream.db.UnaskedRoleException;
import dev.notificationstream.feed.Backlog;
import dev.notificationstream.feed.Hub;
import dev.notificationstream.feed.StreamEnd;
import dev.notificationstream.feed.Subscriber;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code GET /events}: the user's notifications as Server-Sent Events. The stream subscribes
 * first, then replays from the client's cursor (blocking writes, page by page, at the client's
 * pace), then goes live. A start "now", or from a cursor the ChangeFeed's recent pages cover, replays
 * from those pages with no query ({@link Hub#start}); others read the database; live pages skip the rows the replay sent, so the hand-over loses nothing
 * and repeats nothing. Over HTTP/1.1 the servlet hands the connection over to a
 * {@link SocketStream}, which replays and holds the stream with nothing of the request kept; other
 * streams (HTTP/2) replay here and stay async requests ({@link SseStream}).
 */
public final class SseServlet extends HttpServlet {

    private static final Logger LOG = Logger.getLogger(SseServlet.class.getName());

    private final Config config;
    private final NotificationStore store;
    private final Hub hub;
    private final EventFormat format;
    private final StreamLimits limits;
    private final Metrics metrics;

    public SseServlet(Config config, NotificationStore store, Hub hub, EventFormat format, StreamLimits limits, Metrics metrics) {
        this.config = config;
        this.store = store;
        this.hub = hub;
        this.format = format;
        this.limits = limits;
        this.metrics = metrics;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String user = request.getRemoteUser();
        String address = request.getRemoteAddr();
        if (!config.sseEnabled()) {
            Json.error(response, 503, "sse_disabled", "Server-Sent Events are turned off here; poll instead",
                    "pollUrl", request.getContextPath() + "/api/notifications", "pollIntervalMs", config.pollIntervalMs());
            return;
        }
        if (hub.isClosing()) {
            Json.refuse(response, 503, config.retryMs() / 1000 + 1, "shutting_down", "this instance is stopping; reconnect shortly");
            return;
        }
        Cursor cursor;
        int lastN;
        try {
            Params.allowOnly(request, "cursor", "last_n");
            cursor = Params.cursor(request, true);
            lastN = Params.number(request, "last_n", 0, 0, 100);
        } catch (Params.BadRequest bad) {
            Json.error(response, 400, bad.error, bad.getMessage());
            return;
        }
        String from = cursor == null ? "now" : cursor.toString();
        Audience audience = null;
        Subscriber subscriber = null;
        Page page = null;
        Backlog.Missed missed = null;
        Consumer<StreamEnd> onEnd = reason -> {
            limits.close(user, address);
            Level level = reason == StreamEnd.CLIENT_GONE || reason == StreamEnd.SHUTDOWN ? Level.FINE : Level.INFO;
            LOG.log(level, () -> "stream ended user=" + user + " remote=" + address + " reason=" + reason + " from=" + from);
        };
        // The audience asks the container about the roles the store knows; when the first read meets
        // a role added since, the store forgets them and the start is made again with them read anew.
        for (int attempt = 1; page == null && missed == null; attempt++) {
            StreamLimits.Limit broken = limits.tryOpen(user, address);
            if (broken != null) {
                refuse(response, broken, user, address);
                return;
            }
            try {
                audience = Identity.audience(request, store.knownRoles());
            } catch (SQLException failed) {
                limits.close(user, address);
                LOG.warning("stream start failed user=" + user + " remote=" + address + " reason=" + failed.getMessage());
                Json.unavailable(response);
                return;
            }
            // A cursor the ChangeFeed's recent pages cover, or "now": no query.
            Hub.Start start = lastN == 0 ? hub.start(audience, cursor, onEnd) : null;
            if (start == null && lastN == 0 && extend(cursor)) { // one read for a storm of resumes
                start = hub.start(audience, cursor, onEnd);
            }
            try {
                if (start != null) {
                    subscriber = start.subscriber();
                    missed = start.backlog().missed();
                    if (missed == null) {
                        store.forgetRoles(); // a recent row names a role not asked about
                        throw new UnaskedRoleException();
                    }
                } else {
                    subscriber = hub.subscribe(audience, onEnd);
                    page = cursor == null ? store.latest(audience, lastN) : store.after(audience, cursor, Replay.PAGE);
                }
            } catch (UnaskedRoleException newRole) {
                subscriber.end(StreamEnd.AUDIENCE_CHANGED);
                if (attempt == 3) { // three new roles in a row: let the client come back
                    Json.refuse(response, 503, 1, "unavailable", "notifications for new roles are arriving; try again shortly");
                    return;
                }
            } catch (CursorAheadException foreign) {
                subscriber.end(StreamEnd.ERROR);
                Json.error(response, 400, "invalid_cursor", foreign.getMessage());
                return;
            } catch (SQLException failed) {
                subscriber.end(StreamEnd.ERROR);
                LOG.warning("stream start failed user=" + user + " remote=" + address + " reason=" + failed.getMessage());
                Json.unavailable(response);
                return;
            } catch (RuntimeException failed) {
                subscriber.end(StreamEnd.ERROR);
                LOG.log(Level.WARNING, "stream start failed user=" + user + " remote=" + address, failed);
                Json.unavailable(response);
                return;
            }
        }

        hub.opened(subscriber);
        metrics.streamOpened(cursor != null, missed != null);
        LOG.fine(() -> "stream opened user=" + user + " remote=" + address + " from=" + from);
        Replay replay = new Replay(store, format, config.retryMs(), audience, page, missed, subscriber);
        response.setContentType("text/event-stream;charset=UTF-8");
        response.setHeader("Cache-Control", "no-cache, no-store"); // no cache, even for old browsers and proxies
        response.setHeader("X-Accel-Buffering", "no"); // nginx: do not buffer this response
        // Tomcat keeps statistics per upgrade protocol, for good, named after the request's Upgrade
        // header when it has one: a client could add names without end.
        if ("HTTP/1.1".equals(request.getProtocol()) && "GET".equals(request.getMethod()) && request.getHeader("Upgrade") == null) {
            handOver(request, response, subscriber, replay);
            return;
        }
        // HTTP/2 (its connection carries other streams), HTTP/1.0, HEAD, an Upgrade header: an async request.
        AsyncContext async = request.startAsync();
        async.setTimeout(0); // Tomcat's default is 30 s; a stream lives until someone ends it
        ServletOutputStream out = response.getOutputStream();
        SseStream stream = new SseStream(async, out, subscriber, format, config.retryMs());
        async.addListener(stream);
        Subscriber.Replayed replayed = replay.writeTo(out);
        if (replayed != null && subscriber.goLive(stream, replayed)) {
            out.setWriteListener(stream); // from here on the fan-out writes, non-blocking
        } else {
            stream.close(); // it ended during the replay: the client resumes from what it got
        }
    }

    /**
     * Keeps only the connection: once this servlet returns, Tomcat sends the 200, recycles the
     * request's processor, request and response, and gives the socket to a {@link SocketStream}.
     */
    private void handOver(HttpServletRequest request, HttpServletResponse response, Subscriber subscriber, Replay replay)
            throws IOException {
        // No chunking: the body is the event stream until the connection closes.
        response.setHeader("Connection", "close");
        SocketStream stream;
        try {
            stream = request.upgrade(SocketStream.class);
        } catch (ServletException | RuntimeException failed) {
            subscriber.end(StreamEnd.ERROR);
            throw new IOException("could not hand the stream's connection over", failed);
        }
        stream.start(subscriber, replay, TimeUnit.SECONDS.toMillis(2L * config.heartbeatSeconds()));
        response.setStatus(200); // upgrade() set 101
        try {
            // Commit the 200 now: a response still uncommitted when the servlet returns gets
            // "Content-Length: 0" (Tomcat's OutputBuffer.close), and the client would read no body.
            response.flushBuffer();
        } catch (IOException gone) {
            subscriber.end(StreamEnd.CLIENT_GONE); // Tomcat closes the connection: no SocketStream.init
        }
    }

    /** Extends the ChangeFeed's recent pages back to {@code cursor}; false when they cannot (or on a failure: the start reads alone). */
    private boolean extend(Cursor cursor) {
        try {
            return cursor != null && hub.extend(cursor, store);
        } catch (SQLException | RuntimeException failed) {
            LOG.fine(() -> "recent pages not extended cursor=" + cursor + " reason=" + failed.getMessage());
            return false;
        }
    }

    private void refuse(HttpServletResponse response, StreamLimits.Limit broken, String user, String address) throws IOException {
        metrics.rejected("sse_" + broken.name().toLowerCase());
        LOG.info(() -> "stream refused user=" + user + " remote=" + address + " reason=limit_" + broken.name().toLowerCase());
        switch (broken) {
            case TOTAL -> Json.refuse(response, 503, 10, "too_many_streams",
                    "this instance holds its maximum of " + limits.total() + " streams; try again shortly");
            case USER -> Json.refuse(response, 429, 30, "too_many_streams",
                    "at most " + limits.perUser() + " open streams per user; close one (another tab or device) first");
            case ADDRESS -> Json.refuse(response, 429, 30, "too_many_streams",
                    "at most " + limits.perAddress() + " open streams per address");
        }
    }
}
