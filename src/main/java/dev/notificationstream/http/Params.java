package dev.notificationstream.http;

import dev.notificationstream.model.Cursor;
import jakarta.servlet.http.HttpServletRequest;

/** Query parameters and headers, checked; a bad one throws {@link BadRequest} naming it. */
public final class Params {

    private Params() {}

    public static final class BadRequest extends Exception {
        public final String error;

        public BadRequest(String error, String message) {
            super(message, null, false, false);
            this.error = error;
        }
    }

    /** The resume point: the Last-Event-ID header a browser sends on reconnect wins over {@code ?cursor=}. */
    public static Cursor cursor(HttpServletRequest request, boolean headerToo) throws BadRequest {
        String token = headerToo ? request.getHeader("Last-Event-ID") : null;
        String source = "Last-Event-ID";
        if (token == null || token.isBlank()) {
            token = request.getParameter("cursor");
            source = "cursor";
        }
        if (token == null || token.isEmpty()) {
            return null;
        }
        try {
            return Cursor.parse(token);
        } catch (IllegalArgumentException malformed) {
            throw new BadRequest("invalid_cursor", source + ": " + malformed.getMessage());
        }
    }

    /** Refuses a parameter the endpoint does not take, rather than silently ignoring a typo. */
    public static void allowOnly(HttpServletRequest request, String... names) throws BadRequest {
        for (String name : request.getParameterMap().keySet()) {
            if (!java.util.Arrays.asList(names).contains(name)) {
                throw new BadRequest("invalid_parameter", "unknown parameter '" + clip(name) + "'"
                        + (names.length == 0 ? "; this request takes none" : "; this request takes " + String.join(", ", names)));
            }
        }
    }

    /** What we repeat of a client's input stays short. */
    public static String clip(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    public static int number(HttpServletRequest request, String name, int fallback, int min, int max) throws BadRequest {
        return (int) number(request, name, (long) fallback, min, max);
    }

    public static long number(HttpServletRequest request, String name, long fallback, long min, long max) throws BadRequest {
        String value = request.getParameter(name);
        if (value == null) {
            return fallback;
        }
        try {
            long number = Long.parseLong(value.strip());
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw new BadRequest("invalid_parameter", name + " must be a whole number from " + min + " to " + max);
    }
}
