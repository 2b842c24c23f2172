package dev.notificationstream.rollout;

import dev.notificationstream.config.RolloutSettings;
import dev.notificationstream.db.SettingsStore;
import dev.notificationstream.metrics.Metrics;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The automatic rollback. Over the last SSE_BRAKE_WINDOW seconds it counts the users seen on SSE
 * (a stream opened here, or any event their browser reported here) and those whose browser fell
 * back to polling or reported {@value #REPEATED} transport failures. When at least
 * SSE_BRAKE_MIN_CLIENTS were seen and more than SSE_BRAKE_THRESHOLD percent of them are in
 * trouble, it sets the rollout to 0 in the database, with the reason in the history, so every
 * instance follows. It never raises the share: an operator does, with SQL.
 */
public final class Brake {

    private static final Logger LOG = Logger.getLogger(Brake.class.getName());
    /** Transport failures in the window that count as much as a fallback. */
    static final int REPEATED = 3;

    private static final long NEVER = Long.MIN_VALUE;

    /** One user's last sighting, last fallback, and last {@value #REPEATED} failures, oldest first (nanoTime, or NEVER). */
    private record Track(long seen, long fallback, long[] failures) {
        static Track first(long now) {
            long[] failures = new long[REPEATED];
            Arrays.fill(failures, NEVER);
            return new Track(now, NEVER, failures);
        }

        Track seen(long now) {
            return new Track(now, fallback, failures);
        }

        boolean inTrouble(long since) {
            return fallback >= since || failures[0] >= since;
        }
    }

    private final RolloutSettings settings;
    private final Rollout rollout;
    private final SettingsStore store;
    private final Metrics metrics;
    private final LongSupplier clock;
    private final Map<String, Track> users = new ConcurrentHashMap<>();

    public Brake(RolloutSettings settings, Rollout rollout, SettingsStore store, Metrics metrics) {
        this(settings, rollout, store, metrics, System::nanoTime);
    }

    Brake(RolloutSettings settings, Rollout rollout, SettingsStore store, Metrics metrics, LongSupplier clock) {
        this.settings = settings;
        this.rollout = rollout;
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** A stream opened for this user. */
    public void seen(String user) {
        long now = clock.getAsLong();
        users.compute(user, (u, track) -> (track == null ? Track.first(now) : track).seen(now));
    }

    /** The user's browser reported these events. */
    public void reported(String user, List<ClientEvent> events) {
        long now = clock.getAsLong();
        users.compute(user, (u, known) -> {
            Track track = known == null ? Track.first(now) : known;
            long fallback = track.fallback;
            long[] failures = track.failures.clone();
            for (ClientEvent event : events) {
                if (event.isFallback()) {
                    fallback = now;
                } else if (event.isFailure()) {
                    System.arraycopy(failures, 1, failures, 0, REPEATED - 1);
                    failures[REPEATED - 1] = now;
                }
            }
            return new Track(now, fallback, failures);
        });
    }

    /**
     * Run once a second: forgets users not seen in the window, and trips when too many of those
     * left are in trouble. Returns true when it tripped.
     */
    public boolean check() {
        long now = clock.getAsLong();
        long since = now - TimeUnit.SECONDS.toNanos(settings.brakeWindowSeconds());
        users.values().removeIf(track -> track.seen < since);
        int seen = users.size();
        long trouble = users.values().stream().filter(track -> track.inTrouble(since)).count();
        if (rollout.percent() == 0 || seen < settings.brakeMinClients() || trouble * 100 <= (long) settings.brakeThresholdPercent() * seen) {
            return false;
        }
        String reason = String.format("brake: %d of %d users on SSE in the last %d s fell back to polling or failed %d times"
                + " (%.1f %% > SSE_BRAKE_THRESHOLD %d %%)", trouble, seen, settings.brakeWindowSeconds(), REPEATED,
                100.0 * trouble / seen, settings.brakeThresholdPercent());
        try {
            store.setSseRollout(0, reason);
        } catch (SQLException failed) {
            LOG.warning("sse brake could not set the rollout to 0 (tries again in a second) reason=" + failed.getMessage());
            return false;
        }
        users.clear(); // a fresh window for the next share an operator sets
        metrics.brakeTripped();
        LOG.warning("sse brake tripped: rollout set to 0 from=" + rollout.percent() + " reason=" + reason);
        return true;
    }
}
