package dev.notificationstream.api;

import dev.notificationstream.http.Json;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The container's own errors (a 401 from BASIC authentication, a 404, a 405, an uncaught
 * exception) as the same JSON as ours: a status, a code, a message; never a stack trace.
 */
public final class ErrorServlet extends HttpServlet {

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (response.isCommitted()) {
            return; // an SSE stream that failed mid-way: its client is gone, there is no one to tell
        }
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer number ? number : 500;
        String[] text = switch (status) {
            case 400 -> new String[] {"bad_request", "the request is malformed"};
            case 401 -> new String[] {"unauthenticated", "sign in to use this service"};
            case 403 -> new String[] {"forbidden", "you may not use this resource"};
            case 404 -> new String[] {"not_found", "no such resource"};
            case 405 -> new String[] {"method_not_allowed", "this resource does not take " + request.getMethod()};
            case 413 -> new String[] {"too_large", "the request is too large"};
            default -> status >= 500
                    ? new String[] {"internal_error", "something failed on our side; it has been logged"}
                    : new String[] {"error", "the request failed"};
        };
        Json.error(response, status, text[0], text[1]);
    }
}
