package dev.notificationstream.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.config.RolloutSettings;
import dev.notificationstream.db.Database;
import dev.notificationstream.db.SettingsStore;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.stream.EventFormat;
import dev.notificationstream.support.TestDatabase;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The brake's window, on a clock the test moves: what is older than SSE_BRAKE_WINDOW no longer counts. */
class BrakeWindowTest {

    private static final RolloutSettings SETTINGS = new RolloutSettings(100, "sse", null, 300, 30, 3, 30);
    private static final ClientEvent FALLBACK = new ClientEvent("sse_fallback", "no_events");
    private static Database database;
    private final AtomicLong now = new AtomicLong(1_000);
    private Rollout rollout;
    private Brake brake;

    @BeforeAll
    static void migrate() throws Exception {
        database = Database.open(TestDatabase.create(), 2);
        database.migrate();
    }

    @AfterAll
    static void close() {
        database.close();
    }

    @BeforeEach
    void fresh() throws Exception {
        new SettingsStore(database.dataSource()).setSseRollout(100, "test start");
        rollout = new Rollout(true, SETTINGS, new EventFormat(), null, new Metrics());
        reload();
        brake = new Brake(SETTINGS, rollout, new SettingsStore(database.dataSource()), new Metrics(), now::get);
    }

    private void reload() throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            rollout.reload(connection);
        }
    }

    private void later(long seconds) {
        now.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    @Test
    void a_fallback_inside_the_window_counts() throws Exception {
        brake.reported("alice", List.of(FALLBACK));
        later(299);
        brake.seen("bob");
        brake.seen("ops");
        assertTrue(brake.check(), "1 of 3 is over 30 %");
        reload();
        assertEquals(0, rollout.percent(), "the database says 0 now");
    }

    @Test
    void a_user_not_seen_for_the_window_is_forgotten_with_their_fallback() throws Exception {
        brake.reported("alice", List.of(FALLBACK));
        later(301);
        brake.seen("bob");
        brake.seen("ops");
        brake.seen("carol");
        assertFalse(brake.check(), "alice's fallback is older than the window");
        reload();
        assertEquals(100, rollout.percent());
    }

    @Test
    void a_user_still_seen_but_whose_fallback_is_old_is_not_in_trouble() throws Exception {
        brake.reported("alice", List.of(FALLBACK));
        later(301);
        brake.seen("alice"); // a new stream: back on SSE
        brake.seen("bob");
        brake.seen("ops");
        assertFalse(brake.check());
    }

    @Test
    void too_few_users_seen_never_trip_it() {
        brake.reported("alice", List.of(FALLBACK));
        brake.reported("bob", List.of(FALLBACK));
        assertFalse(brake.check(), "2 users seen, SSE_BRAKE_MIN_CLIENTS is 3");
    }
}
