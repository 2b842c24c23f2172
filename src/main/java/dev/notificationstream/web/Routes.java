package dev.notificationstream.web;

import dev.notificationstream.config.Config;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.feed.ChangeFeed;
import dev.notificationstream.feed.Hub;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;
import javax.sql.DataSource;

/** Every endpoint, registered by hand with its dependencies; web.xml holds only security and error pages. */
public final class Routes {

    private Routes() {}

    /** {@code hub} and {@code feed} are null when SSE is off. */
    public static void register(ServletContext context, Config config, DataSource dataSource,
            NotificationStore store, Hub hub, ChangeFeed feed, EventFormat format) {
        ServletRegistration.Dynamic events = context.addServlet("events", new SseServlet(config, store, hub, format));
        events.setAsyncSupported(true);
        events.addMapping("/events");
        context.addServlet("poll", new PollServlet(store)).addMapping("/api/notifications");
        context.addServlet("config", new ConfigServlet(config)).addMapping("/api/config");
        context.addServlet("health", new HealthServlet(dataSource, feed, hub)).addMapping("/health", "/health/*");
        context.addServlet("error", new ErrorServlet()).addMapping("/error");
    }
}
