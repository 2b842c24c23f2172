package dev.notificationstream.stream;

import dev.notificationstream.auth.TokenAuthModule;
import dev.notificationstream.auth.TokenPrincipal;
import dev.notificationstream.http.Failures;
import dev.notificationstream.http.Identity;
import dev.notificationstream.http.Params;
import dev.notificationstream.http.RateLimiter;
import dev.notificationstream.http.Json;
import dev.notificationstream.config.Config;
import dev.notificationstream.db.CursorAheadException;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.db.Page;
import dev.notificationstream.feed.Catchup;
import dev.notificationstream.feed.ChangeFeed;
import dev.notificationstream.feed.Hub;
import dev.notificationstream.feed.StreamEnd;
import dev.notificationstream.feed.Subscriber;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.rollout.Brake;
import dev.notificationstream.rollout.Rollout;
import dev.notificationstream.tomcat.BuiltAgainst;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * {@code GET /events}: the user's notifications as Server-Sent Events. The stream subscribes
 * first, then replays from the client's cursor (blocking writes, page by page, at the client's
 * pace), then goes live. A start "now", or from a cursor the ChangeFeed's recent pages cover, replays
 * from those pages with no query of its own ({@link Hub#start}; a storm of starts shares the feed's
 * reads); others read the database; live pages skip the rows the replay sent, so the hand-over
 * loses nothing and repeats nothing. The replay goes out through the response; then over HTTP/1.1 the
 * servlet hands the connection over to a {@link SocketStream}, which holds the stream with nothing
 * of the request kept; other streams (HTTP/2) stay async requests ({@link SseStream}).
 */
public final class SseServlet extends HttpServlet {

    private static final Logger LOG = Logger.getLogger(SseServlet.class.getName());

    private final Config config;
    private final NotificationStore store;
    private final Hub hub;
    private final ChangeFeed feed; // null with SSE off
    private final EventFormat format;
    private final StreamLimits limits;
    private final RateLimiter starts;
    private final Metrics metrics;
    private final Rollout rollout;
    private final Brake brake;
    /** Whether HTTP/1.1 streams are handed over: only on the Tomcat whose internals SocketStream uses. */
    private final boolean handOver;

    public SseServlet(Config config, NotificationStore store, Hub hub, ChangeFeed feed, EventFormat format, StreamLimits limits,
            RateLimiter starts, Metrics metrics, Rollout rollout, Brake brake) {
        String refused = handOverRefused();
        if (refused != null) {
            LOG.warning("HTTP/1.1 streams stay async requests, not handed over (more heap per stream, docs/scaling.md): " + refused);
        }
        this.handOver = refused == null;
        this.config = config;
        this.store = store;
        this.hub = hub;
        this.feed = feed;
        this.format = format;
        this.limits = limits;
        this.starts = starts;
        this.metrics = metrics;
        this.rollout = rollout;
        this.brake = brake;
    }

    /** What a start asked for, once the checks that need no database passed. */
    private record Start(Cursor cursor, int lastN) {}

    /**
     * The checks a GET and a HEAD share: SSE on for this user, not stopping, known parameters.
     * Null when the response already says why not.
     */
    private Start check(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!rollout.admits(request)) { // ENABLE_SSE=false, or this user is outside the rollout
            refuseSse(request, response);
            return null;
        }
        if (hub.isClosing()) {
            Json.refuse(response, 503, config.retryMs() / 1000 + 1, "shutting_down", "this instance is stopping; reconnect shortly");
            return null;
        }
        try {
            Params.allowOnly(request, "cursor", "last_n");
            return new Start(Params.cursor(request, true), Params.number(request, "last_n", 0, 0, 100));
        } catch (Params.BadRequest bad) {
            Json.error(response, 400, bad.error, bad.getMessage());
            return null;
        }
    }

    /**
     * A HEAD gets the headers a stream would, and no stream: it holds no slot, reads nothing and
     * ends at once (left to HttpServlet, it ran a stream into a body nobody reads, for good).
     */
    @Override
    protected void doHead(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (check(request, response) != null) {
            streamHeaders(response);
            response.setContentLength(0);
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        long requested = System.currentTimeMillis(); // "now" for a start without a cursor
        String user = request.getRemoteUser();
        String address = request.getRemoteAddr();
        Start start = check(request, response);
        if (start == null) {
            return;
        }
        Cursor cursor = start.cursor();
        String from = cursor == null ? "now" : cursor.toString();
        TokenPrincipal token = request.getUserPrincipal() instanceof TokenPrincipal signedIn ? signedIn : null;
        if (token != null && !token.expiresAt().isAfter(Instant.now())) {
            // Past exp but within the clock skew: fine for a poll, but a stream would end at once, and come back.
            TokenAuthModule.refuse(response, "token_expired", null);
            return;
        }
        // A start may be a replay query: a loop of starts is held to the pace of polls.
        long wait = starts.tryAcquire(user);
        if (wait > 0) {
            metrics.rejected("sse_rate");
            LOG.info(() -> "stream refused user=" + user + " remote=" + address + " reason=limit_sse_rate");
            Json.refuse(response, 429, wait, "rate_limited", "streams are started too often; wait before the next");
            return;
        }
        StreamLimits.Limit broken = limits.tryOpen(user, address);
        if (broken != null) {
            refuse(response, broken, user, address);
            return;
        }
        Audience audience;
        try {
            audience = Identity.audience(request, () -> rollout.rolesToAsk(store.roles()));
        } catch (SQLException failed) {
            limits.close(user, address);
            metrics.sseError("server");
            unavailable(response, user, address, failed);
            return;
        }
        long opened = System.nanoTime();
        Consumer<StreamEnd> onEnd = reason -> {
            limits.close(user, address);
            // One line per stream, when it ends: the access log has its line when it starts
            // (over HTTP/1.1 Tomcat logs the request when the servlet hands the connection over).
            LOG.info(() -> "stream ended user=" + user + " remote=" + address + " reason=" + reason + " from=" + from
                    + " seconds=" + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - opened));
        };
        // "Now" (from a feed read that began after the request), or a cursor the ChangeFeed's recent
        // pages cover (extended back to it): no query of this start's own; a storm of starts shares
        // those reads.
        Hub.Start recent = start.lastN() == 0 ? hub.start(audience, cursor, requested, onEnd) : null;
        if (recent == null && start.lastN() == 0 && bringRecentPagesTo(cursor, requested)) {
            recent = hub.start(audience, cursor, requested, onEnd);
        }
        Subscriber subscriber;
        Page page = null;
        Catchup.Missed missed = null;
        if (recent != null) {
            subscriber = recent.subscriber();
            missed = recent.catchup().missed();
        } else {
            subscriber = hub.subscribe(audience, onEnd);
        }
        if (token != null) {
            hub.expireAt(subscriber, token.expiresAt());
        }
        try {
            if (recent == null) {
                page = cursor == null ? store.latest(audience, start.lastN()) : store.after(audience, cursor, Replay.PAGE);
            }
        } catch (CursorAheadException foreign) {
            subscriber.end(StreamEnd.ERROR);
            Json.error(response, 400, "invalid_cursor", "cursor: " + foreign.getMessage());
            return;
        } catch (SQLException | RuntimeException failed) {
            subscriber.end(StreamEnd.ERROR);
            unavailable(response, user, address, failed);
            return;
        }

        // The share may have dropped between the first check and the subscription, after the
        // rollout looked at the open streams: look again now that this one is among them.
        if (!rollout.admits(request)) {
            subscriber.end(StreamEnd.SSE_DISABLED);
            refuseSse(request, response);
            return;
        }
        hub.opened(subscriber);
        metrics.streamOpened(cursor != null, missed != null);
        brake.seen(user);
        LOG.fine(() -> "stream opened user=" + user + " remote=" + address + " from=" + from);
        Replay replay = new Replay(store, format, config.retryMs(), audience, page, missed, subscriber, metrics);
        streamHeaders(response);
        // Tomcat keeps statistics per upgrade protocol, for good, named after the request's Upgrade
        // header when it has one: a client could add names without end.
        if (handOver && "HTTP/1.1".equals(request.getProtocol()) && request.getHeader("Upgrade") == null) {
            // No chunking: the body is the event stream until the connection closes. The replay goes
            // out through the response, so the headers, the hello and a start's first events leave
            // in one write; then the connection is handed over.
            response.setHeader("Connection", "close");
            Subscriber.Replayed replayed = replay.writeTo(response.getOutputStream());
            if (replayed != null) {
                handOver(request, subscriber, replayed);
            }
            return; // else it ended during the replay: the client resumes from what it got
        }
        // HTTP/2 (its connection carries other streams), HTTP/1.0, an Upgrade header: an async request.
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

    private static void streamHeaders(HttpServletResponse response) {
        response.setContentType("text/event-stream;charset=UTF-8");
        response.setHeader("Cache-Control", "no-cache, no-store"); // no cache, even for old browsers and proxies
        response.setHeader("X-Accel-Buffering", "no"); // nginx: do not buffer this response
    }

    /** One line in the log (an outage would otherwise write a stack trace per start), a 503 to the client. */
    private static void unavailable(HttpServletResponse response, String user, String address, Exception failed) throws IOException {
        LOG.warning(() -> "stream start failed user=" + user + " remote=" + address + " reason=" + Failures.reason(failed));
        Json.unavailable(response);
    }

    /** Null when SocketStream can hold streams on this Tomcat; else why not. */
    private static String handOverRefused() {
        String mismatch = BuiltAgainst.mismatch();
        if (mismatch != null) {
            return mismatch;
        }
        try {
            Class.forName(SocketStream.class.getName(), true, SseServlet.class.getClassLoader()); // links Tomcat's internal handler types
            return null;
        } catch (ClassNotFoundException | LinkageError differs) {
            return "Tomcat's internal upgrade classes differ (" + differs + ")";
        }
    }

    /**
     * Keeps only the connection: once this servlet returns, Tomcat recycles the request's
     * processor, request and response, and gives the socket to a {@link SocketStream}, which
     * takes the stream live.
     */
    private static void handOver(HttpServletRequest request, Subscriber subscriber, Subscriber.Replayed replayed) throws IOException {
        try {
            request.upgrade(SocketStream.class).start(subscriber, replayed);
        } catch (ServletException | RuntimeException failed) {
            subscriber.end(StreamEnd.ERROR);
            throw new IOException("could not hand the stream's connection over", failed);
        }
    }

    /**
     * Makes the ChangeFeed's recent pages cover this start: for "now", a feed read that began after
     * the request; for a cursor, the pages extended back to it. False when they cannot (or on a
     * failure: the start reads alone).
     */
    private boolean bringRecentPagesTo(Cursor cursor, long requested) {
        if (cursor == null) {
            return feed != null && feed.readAfter(requested);
        }
        try {
            return hub.extend(cursor, store);
        } catch (SQLException | RuntimeException failed) {
            LOG.fine(() -> "recent pages not extended cursor=" + cursor + " reason=" + failed.getMessage());
            return false;
        }
    }

    private void refuseSse(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Json.error(response, 503, "sse_disabled", "Server-Sent Events are not on for this user; poll instead",
                "pollUrl", request.getContextPath() + "/api/notifications", "pollIntervalMs", config.pollIntervalMs(),
                "sseRolloutPercent", rollout.percent());
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
