package dev.notificationstream.api;

import dev.notificationstream.http.RequestGuard;
import dev.notificationstream.http.Failures;
import dev.notificationstream.http.Identity;
import dev.notificationstream.http.Params;
import dev.notificationstream.http.Json;
import dev.notificationstream.db.CursorAheadException;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A user's read state: {@code POST /api/notifications/{id}/read},
 * {@code POST /api/notifications/read-all?cursor=} and {@code GET /api/notifications/unread-count}.
 * Marks travel through the ChangeFeed to the user's other streams (an {@code event: read}), on
 * every instance, and polls list them under {@code reads}.
 */
public final class ReadStateServlet extends HttpServlet {

    private static final Logger LOG = Logger.getLogger(ReadStateServlet.class.getName());
    private static final Pattern ONE = Pattern.compile("/([0-9]{1,18})/read");

    private final NotificationStore store;
    private final RequestGuard guard;

    public ReadStateServlet(NotificationStore store, RequestGuard guard) {
        this.store = store;
        this.guard = guard;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!"/unread-count".equals(request.getPathInfo())) {
            Json.error(response, 404, "not_found", "no such resource");
            return;
        }
        try {
            Params.allowOnly(request);
            long unread = store.unreadCount(Identity.audience(request, store::roles));
            Json.send(response, 200, Map.of("unread", unread));
        } catch (Params.BadRequest bad) {
            Json.error(response, 400, bad.error, bad.getMessage());
        } catch (SQLException failed) {
            unavailable(request, response, failed);
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        Matcher one = ONE.matcher(path);
        try {
            guard.checkOrigin(request);
            if (one.matches()) {
                Params.allowOnly(request);
                Audience audience = Identity.audience(request, store::roles);
                if (!store.markRead(audience, Long.parseLong(one.group(1)))) {
                    // Someone else's row looks like no row at all.
                    Json.error(response, 404, "not_found", "no such notification for you");
                    return;
                }
                response.setStatus(204);
            } else if (path.equals("/read-all")) {
                Params.allowOnly(request, "cursor");
                Cursor upTo = Params.cursor(request, false);
                if (upTo == null) {
                    Json.error(response, 400, "invalid_parameter",
                            "cursor is required: rows the client has not seen yet must stay unread");
                    return;
                }
                int marked = store.markAllRead(Identity.audience(request, store::roles), upTo);
                Json.send(response, 200, Map.of("marked", marked));
            } else {
                Json.error(response, 404, "not_found", "no such resource");
            }
        } catch (RequestGuard.Refused refused) {
            Json.error(response, refused.status, refused.error, refused.getMessage());
        } catch (Params.BadRequest bad) {
            Json.error(response, 400, bad.error, bad.getMessage());
        } catch (CursorAheadException foreign) {
            Json.error(response, 400, "invalid_cursor", "cursor: " + foreign.getMessage());
        } catch (SQLException failed) {
            unavailable(request, response, failed);
        }
    }

    private static void unavailable(HttpServletRequest request, HttpServletResponse response, SQLException failed) throws IOException {
        LOG.warning(() -> "read state failed user=" + request.getRemoteUser() + " remote=" + request.getRemoteAddr()
                + " reason=" + Failures.reason(failed));
        Json.unavailable(response);
    }
}
