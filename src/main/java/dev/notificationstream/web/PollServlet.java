package dev.notificationstream.web;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.notificationstream.db.CursorAheadException;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.db.Page;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code GET /api/notifications?cursor=&limit=}: the same rows as the stream, as JSON, under the
 * same cursor, so a client can move between polling and SSE, or between instances, and lose nothing.
 */
final class PollServlet extends HttpServlet {

    private static final Logger LOG = Logger.getLogger(PollServlet.class.getName());

    private final NotificationStore store;

    PollServlet(NotificationStore store) {
        this.store = store;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String user = request.getRemoteUser();
        if (user == null) {
            Json.error(response, 401, "unauthenticated", "sign in to read notifications");
            return;
        }
        Page page;
        try {
            Cursor cursor = Params.cursor(request, false);
            int limit = Params.number(request, "limit", 100, 1, 500);
            page = cursor == null ? store.latest(user, limit) : store.after(user, cursor, limit);
        } catch (Params.BadRequest bad) {
            Json.error(response, 400, bad.error, bad.getMessage());
            return;
        } catch (CursorAheadException foreign) {
            Json.error(response, 400, "invalid_cursor", "cursor: " + foreign.getMessage());
            return;
        } catch (SQLException failed) {
            LOG.log(Level.WARNING, "poll failed user=" + user + " remote=" + request.getRemoteAddr(), failed);
            Json.error(response, 503, "unavailable", "the database is not reachable; try again shortly");
            return;
        }
        response.setContentType("application/json;charset=UTF-8");
        response.setHeader("Cache-Control", "no-store");
        try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(response.getOutputStream())) {
            json.writeStartObject();
            json.writeArrayFieldStart("notifications");
            for (Notification notification : page.rows()) {
                Json.write(json, notification);
            }
            json.writeEndArray();
            json.writeStringField("cursor", page.next().toString());
            json.writeBooleanField("more", page.more());
            json.writeEndObject();
        }
    }
}
