package dev.notificationstream.api;

import dev.notificationstream.http.Json;
import jakarta.servlet.DispatcherType;
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
        if (request.getDispatcherType() != DispatcherType.ERROR) {
            Json.error(response, 404, "not_found", "no such resource"); // GET /error itself
            return;
        }
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer number ? number : 500;
        String[] text = switch (status) {
            case 400 -> new String[] {"bad_request", "the request is malformed"};
            case 401 -> new String[] {"unauthenticated", "sign in to use this service"};
            case 403 -> new String[] {"forbidden", "you may not use this resource"};
            case 404 -> new String[] {"not_found", "no such resource"};
            // The method is not known here: Tomcat dispatches an error page as a GET (http/Methods names it).
            case 405 -> new String[] {"method_not_allowed", "this resource does not take that method"};
            case 413 -> new String[] {"too_large", "the request is too large"};
            case 501 -> new String[] {"not_implemented", "this server does not implement that"};
            default -> status >= 500
                    ? new String[] {"internal_error", "something failed on our side; it has been logged"}
                    : new String[] {"error", "the request failed"};
        };
        Json.error(response, status, text[0], text[1]);
    }
}
