package dev.notificationstream.rollout;

import dev.notificationstream.config.RolloutSettings;
import dev.notificationstream.db.SettingsStore;
import dev.notificationstream.feed.Hub;
import dev.notificationstream.feed.PageEncoder;
import dev.notificationstream.feed.SettingsWatcher;
import dev.notificationstream.feed.StreamEnd;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.model.Audience;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * Who gets SSE: everyone while ENABLE_SSE is on and the share is 100; at a lower share, the users
 * whose bucket (0 to 99, a salted hash of the user name: the same on every instance, device and
 * reload) is below it, so raising the share only adds users and lowering it only removes them;
 * and, while the share is above 0, the users of SSE_CANARY_ROLE. The share is the database's
 * (notifications_set_sse_rollout), else SSE_ROLLOUT_PERCENT. When it drops, the open streams of
 * users who fell out are told ({@code event: config}) and ended; their clients poll from their cursor.
 */
public final class Rollout implements SettingsWatcher {

    private static final Logger LOG = Logger.getLogger(Rollout.class.getName());

    private final boolean sseEnabled;
    private final RolloutSettings settings;
    private final PageEncoder encoder;
    private final Hub hub;
    private final ReentrantLock applying = new ReentrantLock();
    private volatile int percent;

    /** {@code hub} is null when SSE is off (ENABLE_SSE=false): then no one is in. */
    public Rollout(boolean sseEnabled, RolloutSettings settings, PageEncoder encoder, Hub hub, Metrics metrics) {
        this.sseEnabled = sseEnabled;
        this.settings = settings;
        this.encoder = encoder;
        this.hub = hub;
        this.percent = settings.percent();
        metrics.sseRollout(() -> sseEnabled ? percent / 100.0 : 0);
    }

    /** The share in force: 0 to 100, or 0 when ENABLE_SSE is off. */
    public int percent() {
        return sseEnabled ? percent : 0;
    }

    /** Whether this request's user may stream. */
    public boolean admits(HttpServletRequest request) {
        String role = settings.canaryRole();
        return admits(request.getRemoteUser(), role != null && request.isUserInRole(role));
    }

    public boolean admits(String user, boolean canary) {
        int share = percent();
        return share > 0 && (canary || share == 100 || bucket(settings.salt(), user) < share);
    }

    private boolean admits(Audience audience) {
        return admits(audience.user(), settings.canaryRole() != null && audience.roles().contains(settings.canaryRole()));
    }

    /** The roles a stream's audience must be asked about: {@code addressed} and the canary role, so an open stream knows it. */
    public Set<String> rolesToAsk(Set<String> addressed) {
        if (settings.canaryRole() == null || addressed.contains(settings.canaryRole())) {
            return addressed;
        }
        Set<String> roles = new HashSet<>(addressed);
        roles.add(settings.canaryRole());
        return roles;
    }

    /** What /api/config and the {@code config} event tell a client about itself. */
    public Map<String, Object> configFor(boolean admitted) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("sseEnabled", admitted);
        config.put("sseRolloutPercent", percent());
        return config;
    }

    /** The user's bucket, 0 to 99: the first four bytes of SHA-256(salt, user), unsigned, modulo 100. */
    static int bucket(String salt, String user) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(salt.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0); // so that salt "a" + user "bc" differs from salt "ab" + user "c"
            byte[] hash = sha.digest(user.getBytes(StandardCharsets.UTF_8));
            long first = ((hash[0] & 0xffL) << 24) | ((hash[1] & 0xffL) << 16) | ((hash[2] & 0xffL) << 8) | (hash[3] & 0xffL);
            return (int) (first % 100);
        } catch (NoSuchAlgorithmException everyJvmHasIt) {
            throw new IllegalStateException(everyJvmHasIt);
        }
    }

    /** Reads the share on the ChangeFeed's connection (a change was notified, or it reconnected) and applies it. */
    @Override
    public void reload(Connection connection) throws SQLException {
        apply(SettingsStore.sseRollout(connection));
    }

    /** Applies the database's share (null: none set, SSE_ROLLOUT_PERCENT applies). */
    public void apply(SettingsStore.Change change) {
        int share = change == null ? settings.percent() : change.value();
        applying.lock();
        try {
            int before = percent;
            if (share == before) {
                return;
            }
            percent = share; // before the scan: a stream that subscribes meanwhile checks again after subscribing
            LOG.info(() -> "sse rollout changed from=" + before + " to=" + share
                    + (change == null ? " (SSE_ROLLOUT_PERCENT)" : " by=" + change.changedBy() + " reason=" + change.reason()));
            if (share < before && hub != null) {
                byte[] goodbye = encoder.configFrame(configFor(false));
                hub.closeWhere(audience -> !admits(audience), goodbye, StreamEnd.SSE_DISABLED);
            }
        } finally {
            applying.unlock();
        }
    }
}
