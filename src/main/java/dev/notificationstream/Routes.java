package dev.notificationstream;

import dev.notificationstream.api.ErrorServlet;
import dev.notificationstream.api.HealthServlet;
import dev.notificationstream.api.ClientEventsServlet;
import dev.notificationstream.api.ConfigServlet;
import dev.notificationstream.api.ReadStateServlet;
import dev.notificationstream.api.SessionServlet;
import dev.notificationstream.api.NotificationsServlet;
import dev.notificationstream.stream.StreamLimits;
import dev.notificationstream.stream.EventFormat;
import dev.notificationstream.stream.SseServlet;
import dev.notificationstream.http.SecurityHeadersFilter;
import dev.notificationstream.http.CorsFilter;
import dev.notificationstream.http.Methods;
import dev.notificationstream.http.RequestGuard;
import dev.notificationstream.http.RateLimiter;
import dev.notificationstream.http.Origins;
import dev.notificationstream.config.Config;
import dev.notificationstream.config.OriginSettings;
import dev.notificationstream.config.StreamStartSettings;
import dev.notificationstream.config.TokenSettings;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.feed.ChangeFeed;
import dev.notificationstream.feed.Hub;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.rollout.Brake;
import dev.notificationstream.rollout.Rollout;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/** Every endpoint and filter, registered by hand with its dependencies; web.xml holds only security and error pages. */
public final class Routes {

    /** How many polls a client may make at once (paging through "more") before POLL_MIN_INTERVAL applies. */
    private static final int POLL_BURST = 10;

    private Routes() {}

    /** {@code hub} and {@code feed} are null when SSE is off. */
    public static void register(ServletContext context, Config config, OriginSettings originSettings, TokenSettings tokens,
            DataSource dataSource, NotificationStore store, Hub hub, ChangeFeed feed, EventFormat format, Metrics metrics,
            StreamStartSettings startSettings, Rollout rollout, Brake brake, int clientEventsPerMinute) {
        Origins origins = new Origins(config.corsAllowedOrigins(), originSettings.publicOrigins());
        EnumSet<DispatcherType> every = EnumSet.of(DispatcherType.REQUEST, DispatcherType.ERROR, DispatcherType.ASYNC);
        context.addFilter("security-headers", new SecurityHeadersFilter()).addMappingForUrlPatterns(every, false, "/*");
        context.addFilter("cors", new CorsFilter(origins)).addMappingForUrlPatterns(every, false, "/*");

        StreamLimits limits = new StreamLimits(config.maxStreams(), config.maxStreamsPerUser(), config.maxStreamsPerAddress());
        RateLimiter starts = new RateLimiter(config.maxStreamsPerUser(), TimeUnit.MILLISECONDS.toNanos(startSettings.minIntervalMs()));
        ServletRegistration.Dynamic events = context.addServlet("events",
                new SseServlet(config, store, hub, feed, format, limits, starts, metrics, rollout, brake));
        events.setAsyncSupported(true);
        events.addMapping("/events");

        RateLimiter polls = new RateLimiter(POLL_BURST, TimeUnit.MILLISECONDS.toNanos(config.pollMinIntervalMs()));
        RateLimiter publishes = new RateLimiter(config.publishPerMinute(), TimeUnit.MINUTES.toNanos(1) / config.publishPerMinute());
        RequestGuard guard = new RequestGuard(config.maxRequestBytes(), origins);
        context.addServlet("notifications", new NotificationsServlet(store, polls, publishes, guard, metrics, rollout))
                .addMapping("/api/notifications");
        RateLimiter clientEvents = new RateLimiter(clientEventsPerMinute, TimeUnit.MINUTES.toNanos(1) / clientEventsPerMinute);
        context.addServlet("client-events", new ClientEventsServlet(clientEvents, guard, brake, metrics)).addMapping("/api/client-events");
        context.addServlet("read-state", new ReadStateServlet(store, guard)).addMapping("/api/notifications/*");
        context.addServlet("session", new SessionServlet(tokens.cookie(), guard)).addMapping("/api/session");
        context.addServlet("config", new ConfigServlet(config, rollout)).addMapping("/api/config");
        context.addServlet("health", new HealthServlet(dataSource, feed, hub)).addMapping("/health", "/health/*");
        context.addServlet("metrics", new PrometheusMetricsServlet(metrics.registry())).addMapping("/metrics");
        context.addServlet("error", new ErrorServlet()).addMapping("/error");

        methods(context, "events", "GET", "HEAD");
        methods(context, "notifications", "GET", "HEAD", "POST");
        methods(context, "client-events", "POST");
        methods(context, "read-state", "GET", "HEAD", "POST");
        methods(context, "config", "GET", "HEAD");
        methods(context, "session", "GET", "HEAD", "POST", "DELETE");
        methods(context, "health", "GET", "HEAD");
        methods(context, "metrics", "GET", "HEAD");
        methods(context, "default", "GET", "HEAD"); // the container's servlet for the static files
    }

    /** The methods a servlet takes; any other gets 405 with Allow, or 501 (http/Methods). */
    private static void methods(ServletContext context, String servlet, String... methods) {
        context.addFilter("methods-" + servlet, new Methods(methods))
                .addMappingForServletNames(EnumSet.of(DispatcherType.REQUEST), true, servlet);
    }
}
