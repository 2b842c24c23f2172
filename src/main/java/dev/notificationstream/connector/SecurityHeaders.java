package dev.notificationstream.connector;

import java.util.function.BiConsumer;

/**
 * The headers every response carries: the page may run only its own scripts (no inline script, so
 * text from the database can never become code), nothing is sniffed into another type, no URL
 * leaks out as a referrer, and no other site may frame the inbox. Set by the application's
 * {@code SecurityHeadersFilter} and by {@link SecureJsonErrorReportValve} for the responses Tomcat
 * makes before any application sees the request. Plain Java, so the WAR carries a copy of its own
 * and needs no connector jar for it.
 */
public final class SecurityHeaders {

    public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none';"
            + " form-action 'self'; frame-ancestors 'none'";

    private SecurityHeaders() {}

    /** Sets each header with {@code setHeader} (a response's {@code setHeader}). */
    public static void set(BiConsumer<String, String> setHeader) {
        setHeader.accept("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        setHeader.accept("X-Content-Type-Options", "nosniff");
        setHeader.accept("Referrer-Policy", "no-referrer");
        setHeader.accept("X-Frame-Options", "DENY");
    }
}
