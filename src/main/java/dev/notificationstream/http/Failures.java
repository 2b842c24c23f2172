package dev.notificationstream.http;

import java.sql.SQLException;

/**
 * A failure as the {@code reason=} of one log line: its SQL state or class and the first line of
 * its message. A stack trace per request would let a client fill the disk (an outage, or input the
 * database refuses, repeated by a script).
 */
public final class Failures {

    private Failures() {}

    public static String reason(Throwable failure) {
        String kind = failure instanceof SQLException sql && sql.getSQLState() != null
                ? "sqlstate=" + sql.getSQLState() : failure.getClass().getSimpleName();
        String message = failure.getMessage() == null ? "" : failure.getMessage().lines().findFirst().orElse("");
        return kind + " " + (message.length() > 200 ? message.substring(0, 200) + "..." : message);
    }
}
