package dev.notificationstream.api;

import dev.notificationstream.http.RequestGuard;
import dev.notificationstream.http.RateLimiter;
import dev.notificationstream.http.Failures;
import dev.notificationstream.http.Identity;
import dev.notificationstream.http.Params;
import dev.notificationstream.http.Json;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.notificationstream.db.CursorAheadException;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.db.Page;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.NewNotification;
import dev.notificationstream.model.Notification;
import dev.notificationstream.rollout.Rollout;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /api/notifications}. GET polls: the same rows as the stream, as JSON, under the same
 * cursor, so a client can move between polling and SSE, or between instances, and lose nothing.
 * POST publishes: the same row a DBA would insert, for users in the {@code notifier} role.
 */
public final class NotificationsServlet extends HttpServlet {

    private static final Logger LOG = Logger.getLogger(NotificationsServlet.class.getName());
    static final String NOTIFIER_ROLE = "notifier";
    private static final Pattern CONSTRAINT = Pattern.compile("constraint \"([a-z0-9_]+)\"");
    private static final Set<String> FIELDS = Set.of("recipient", "recipientRole", "category", "title", "body", "link", "data", "expiresAt");

    private final NotificationStore store;
    private final RateLimiter polls;
    private final RateLimiter publishes;
    private final RequestGuard guard;
    private final Metrics metrics;
    private final Rollout rollout;

    public NotificationsServlet(NotificationStore store, RateLimiter polls, RateLimiter publishes, RequestGuard guard, Metrics metrics,
            Rollout rollout) {
        this.store = store;
        this.rollout = rollout;
        this.polls = polls;
        this.publishes = publishes;
        this.guard = guard;
        this.metrics = metrics;
    }

    /** The user's rows after {@code cursor} (null: the newest, below {@code before}). */
    private Page read(HttpServletRequest request, Cursor cursor, long before, int limit) throws SQLException {
        Audience audience = Identity.audience(request, store::roles);
        return cursor == null ? store.latest(audience, limit, before) : store.after(audience, cursor, limit);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String user = request.getRemoteUser();
        Page page;
        try {
            Params.allowOnly(request, "cursor", "limit", "before");
            Cursor cursor = Params.cursor(request, false);
            int limit = Params.number(request, "limit", 100, 1, 500);
            long before = Params.number(request, "before", Long.MAX_VALUE, 1, Long.MAX_VALUE);
            if (cursor != null && before != Long.MAX_VALUE) {
                throw new Params.BadRequest("invalid_parameter", "before lists older rows and takes no cursor");
            }
            long wait = polls.tryAcquire(user);
            if (wait > 0) {
                metrics.rejected("poll_rate");
                Json.refuse(response, 429, wait, "rate_limited", "polling too often; wait before the next poll");
                return;
            }
            page = read(request, cursor, before, limit);
        } catch (Params.BadRequest bad) {
            Json.error(response, 400, bad.error, bad.getMessage());
            return;
        } catch (CursorAheadException foreign) {
            Json.error(response, 400, "invalid_cursor", "cursor: " + foreign.getMessage());
            return;
        } catch (SQLException failed) {
            LOG.warning(() -> "poll failed user=" + user + " remote=" + request.getRemoteAddr() + " reason=" + Failures.reason(failed));
            Json.unavailable(response);
            return;
        }
        metrics.polled();
        response.setContentType("application/json;charset=UTF-8");
        response.setHeader("Cache-Control", "no-store");
        try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(response.getOutputStream())) {
            json.writeStartObject();
            json.writeArrayFieldStart("notifications");
            for (Notification notification : page.rows()) {
                Json.write(json, notification);
            }
            json.writeEndArray();
            // Marks made since the cursor, on any device: rows the client already shows may now be read.
            json.writeArrayFieldStart("reads");
            for (long id : page.reads()) {
                json.writeNumber(id);
            }
            json.writeEndArray();
            json.writeStringField("cursor", page.next().toString());
            json.writeBooleanField("more", page.more());
            // Whether this user gets SSE now: a poller whom the rollout takes in switches at once.
            json.writeBooleanField("sseEnabled", rollout.admits(request));
            json.writeEndObject();
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String user = request.getRemoteUser();
        if (!request.isUserInRole(NOTIFIER_ROLE)) {
            Json.error(response, 403, "forbidden", "publishing needs the '" + NOTIFIER_ROLE + "' role");
            return;
        }
        JsonNode body = guard.acceptJsonPost(request, response, publishes, () -> metrics.rejected("publish_rate"),
                "publishing too often; wait a moment");
        if (body == null) {
            return;
        }
        NewNotification row;
        try {
            row = parse(body);
        } catch (IllegalArgumentException invalid) {
            Json.error(response, 400, "invalid_notification", invalid.getMessage());
            return;
        }
        Notification stored;
        try {
            stored = store.insert(row);
        } catch (SQLException failed) {
            String state = String.valueOf(failed.getSQLState());
            if (state.startsWith("22") || state.startsWith("23")) {
                // Data or integrity: the row, not the database, is at fault. The checks above mirror the
                // table's, so this is rare; say which rule, not the server's message (it lists the row).
                Matcher rule = CONSTRAINT.matcher(String.valueOf(failed.getMessage()));
                Json.error(response, 400, "invalid_notification", rule.find()
                        ? "refused by the table's rule " + rule.group(1) + " (db/README.md)"
                        : "refused by the database: a field holds a value it cannot store (SQLSTATE " + state + ")");
                return;
            }
            LOG.warning(() -> "publish failed user=" + user + " remote=" + request.getRemoteAddr() + " reason=" + Failures.reason(failed));
            Json.unavailable(response);
            return;
        }
        metrics.published();
        LOG.info(() -> "published id=" + stored.id() + " by=" + user + " recipient=" + stored.recipient() + " remote=" + request.getRemoteAddr());
        response.setStatus(201);
        response.setHeader("Location", request.getContextPath() + "/api/notifications/" + stored.id());
        response.setContentType("application/json;charset=UTF-8");
        response.setHeader("Cache-Control", "no-store");
        try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(response.getOutputStream())) {
            Json.write(json, stored);
        }
    }

    /** The body as a notification: an object of known fields, strings where strings belong. */
    private static NewNotification parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown field '" + Params.clip(name) + "'; fields are " + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        }
        JsonNode data = body.get("data");
        if (data != null) {
            checkData(data);
        }
        String expiresAt = text(body, "expiresAt");
        Instant expires;
        try {
            expires = expiresAt == null ? null : Instant.parse(expiresAt);
        } catch (DateTimeParseException notATime) {
            throw new IllegalArgumentException("expiresAt must be an ISO-8601 UTC time such as 2026-12-31T23:00:00Z");
        }
        return new NewNotification(text(body, "recipient"), text(body, "recipientRole"), text(body, "category"),
                text(body, "title"), text(body, "body"), text(body, "link"),
                data == null || data.isNull() ? null : data.toString(), expires);
    }

    /**
     * What jsonb can store, checked before it is asked: text without U+0000 or half surrogates, in
     * keys and values, and numbers within PostgreSQL's numeric (131072 digits before the point,
     * 16383 after).
     */
    private static void checkData(JsonNode node) {
        if (node.isTextual()) {
            NewNotification.checkText("data", node.textValue());
        } else if (node.isNumber() && node.isBigDecimal()) {
            BigDecimal number = node.decimalValue();
            if (number.precision() - number.scale() > 131_072 || number.scale() > 16_383) {
                throw new IllegalArgumentException("data holds a number the database cannot store: " + Params.clip(number.toString()));
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            NewNotification.checkText("data", field.getKey());
            checkData(field.getValue());
        }
        if (node.isArray()) {
            node.forEach(NotificationsServlet::checkData);
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        return value.asText();
    }
}
