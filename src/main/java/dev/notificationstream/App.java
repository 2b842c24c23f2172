package dev.notificationstream;

import dev.notificationstream.auth.TokenAuthModule;
import dev.notificationstream.config.Config;
import dev.notificationstream.config.DatabaseSettings;
import dev.notificationstream.config.OriginSettings;
import dev.notificationstream.config.QueueLimits;
import dev.notificationstream.config.RolloutSettings;
import dev.notificationstream.config.StreamStartSettings;
import dev.notificationstream.config.TokenSettings;
import dev.notificationstream.db.Database;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.feed.ChangeFeed;
import dev.notificationstream.feed.Hub;
import dev.notificationstream.db.SettingsStore;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.rollout.Brake;
import dev.notificationstream.rollout.Rollout;
import dev.notificationstream.stream.EventFormat;
import jakarta.security.auth.message.config.AuthConfigFactory;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.sql.Connection;
import java.io.IOException;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The whole application, wired by hand: configuration, database, the ChangeFeed and hub (when SSE
 * is on), and the servlets. Declared in web.xml; Tomcat starts it on deploy and stops it on undeploy.
 */
public final class App implements ServletContextListener {

    private static final Logger LOG = Logger.getLogger(App.class.getName());

    private Config config;
    private Database database;
    private Hub hub;
    private ChangeFeed feed;
    private ScheduledExecutorService timers;
    private TokenAuthModule tokenSignIn; // null: the container's own login only

    @Override
    public void contextInitialized(ServletContextEvent event) {
        config = Config.load();
        TokenSettings tokens = TokenSettings.from(Config.DEPLOYMENT);
        DataSource containerPool = Database.containerDataSource();
        DatabaseSettings timeouts = DatabaseSettings.from(Config.DEPLOYMENT);
        database = containerPool != null ? Database.of(containerPool) : Database.open(config.databaseUrl(), config.poolSize(), timeouts);
        if (config.sseEnabled() && config.listenDatabaseUrl() == null) {
            throw new IllegalStateException("with the container DataSource jdbc/notifications, set LISTEN_DATABASE_URL"
                    + " (or DATABASE_URL): the ChangeFeed's LISTEN connection is its own, outside any pool");
        }
        if (config.migrateOnStart()) {
            database.migrate();
        }
        NotificationStore store = new NotificationStore(database.dataSource(), timeouts.clientConnections(config.poolSize()),
                timeouts.connectionTimeoutMs());
        warnAboutStoredRows(store);
        EventFormat format = new EventFormat();
        Metrics metrics = new Metrics();
        metrics.maxStreams(config.maxStreams());
        RolloutSettings rolloutSettings = RolloutSettings.from(Config.DEPLOYMENT);
        SettingsStore settings = new SettingsStore(database.dataSource());
        if (config.sseEnabled()) {
            hub = new Hub(format, config.writerThreads(), config.queueCapacity(), QueueLimits.from(Config.DEPLOYMENT), metrics);
        }
        Rollout rollout = new Rollout(config.sseEnabled(), rolloutSettings, format, hub, metrics);
        Brake brake = new Brake(rolloutSettings, rollout, settings, metrics);
        if (config.sseEnabled()) {
            applyStoredRollout(database.dataSource(), rollout); // before the first request: the feed connects a moment later
            feed = new ChangeFeed(config.listenDatabaseUrl(), database.dataSource(), store, hub, config.feedSafetySeconds(),
                    config.feedPageSize(), timeouts.listenTimeoutSeconds(), metrics, rollout);
            metrics.feedConnected(() -> feed.state() == ChangeFeed.State.UP);
            feed.start();
            timers = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("sse-timers").factory());
            int every = config.heartbeatSeconds();
            // Each second a share of the streams, so that each gets one heartbeat per interval.
            timers.scheduleAtFixedRate(() -> hub.heartbeat(every), 1, 1, TimeUnit.SECONDS);
            timers.scheduleAtFixedRate(brake::check, 1, 1, TimeUnit.SECONDS);
        }
        Routes.register(event.getServletContext(), config, OriginSettings.from(Config.DEPLOYMENT), tokens, database.dataSource(), store,
                hub, feed, format, metrics, StreamStartSettings.from(Config.DEPLOYMENT), rollout, brake, rolloutSettings.clientEventsPerMinute());
        if (tokens.enabled()) {
            // For this context only, from inside the WAR: nothing to add to Tomcat's lib or server.xml.
            tokenSignIn = new TokenAuthModule(tokens);
            AuthConfigFactory.getFactory().registerServerAuthModule(tokenSignIn, event.getServletContext());
        }
        LOG.info("notification-stream started sse=" + config.sseEnabled() + " pollIntervalMs=" + config.pollIntervalMs()
                + " heartbeatSeconds=" + config.heartbeatSeconds() + " tokenSignIn=" + tokens.enabled()
                + (tokens.enabled() ? " hs256=" + (tokens.secret() != null) + " jwks=" + tokens.jwksUrl() + " issuer=" + tokens.issuer() : ""));
    }

    private static void applyStoredRollout(DataSource pool, Rollout rollout) {
        try (Connection connection = pool.getConnection()) {
            rollout.reload(connection);
        } catch (SQLException e) {
            LOG.warning("could not read the SSE rollout share (SSE_ROLLOUT_PERCENT applies until the ChangeFeed reads it): " + e.getMessage());
        }
    }

    /** Problems with the stored rows that only a DBA can fix, said at every start until they are fixed. */
    private static void warnAboutStoredRows(NotificationStore store) {
        try {
            if (store.txidsAheadOfServer()) {
                LOG.severe("notifications.txid values are ahead of this PostgreSQL server's transaction counter"
                        + " (restored from another cluster?): every read would return those rows again until they are"
                        + " re-stamped; see db/README.md, 'Dump and restore into another cluster'");
            }
        } catch (SQLException e) {
            LOG.warning("could not check notifications.txid against the server: " + e.getMessage());
        }
        try {
            long quarantined = store.quarantined();
            if (quarantined > 0) {
                LOG.warning(quarantined + " notifications broke the link or role rules when migration V3 added them and wait in"
                        + " notifications_quarantine, delivered to no one; see db/README.md, 'Quarantined rows'");
            }
        } catch (SQLException e) {
            LOG.warning("could not count notifications_quarantine: " + e.getMessage());
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (tokenSignIn != null) {
            AuthConfigFactory.getFactory().removeServerAuthModule(event.getServletContext());
            try {
                tokenSignIn.close();
            } catch (IOException failed) {
                LOG.log(Level.WARNING, "stopping the JWKS refresh failed", failed);
            }
        }
        try {
            if (feed != null) {
                // Last rows out first, then every stream told when to come back, then the database.
                feed.stop();
                timers.shutdownNow();
                hub.close(config.retryMs(), TimeUnit.SECONDS.toMillis(config.shutdownGraceSeconds()));
            }
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException failed) {
            LOG.log(Level.WARNING, "stopping the streams failed", failed);
        } finally {
            if (database != null) {
                database.close();
            }
            deregisterDrivers(event.getServletContext().getClassLoader());
        }
        LOG.info("notification-stream stopped");
    }

    /**
     * pgjdbc registers itself with the JVM-wide DriverManager when its class loads (HikariCP loads
     * it). Left there, it pins this web application's class loader after an undeploy or a context
     * reload (Tomcat warns "registered the JDBC driver ... but failed to unregister it"). Only
     * drivers loaded by this web application's own class loader (WEB-INF/lib): an embedded
     * Tomcat or another web application may share the driver loaded by a parent.
     */
    private static void deregisterDrivers(ClassLoader webapp) {
        for (Driver driver : Collections.list(DriverManager.getDrivers())) {
            if (driver.getClass().getClassLoader() == webapp) {
                try {
                    DriverManager.deregisterDriver(driver);
                } catch (SQLException failed) {
                    LOG.log(Level.WARNING, "could not deregister JDBC driver " + driver.getClass().getName(), failed);
                }
            }
        }
    }
}
