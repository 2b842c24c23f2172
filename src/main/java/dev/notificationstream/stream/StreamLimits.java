package dev.notificationstream.stream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps on open SSE streams: on this instance, per user (several devices, not a runaway loop) and
 * per remote address (a NAT'd office is many users; a script opening thousands is one).
 */
public final class StreamLimits {

    /** Which limit a new stream would break, or null when it may open (and is now counted). */
    public enum Limit { TOTAL, USER, ADDRESS }

    private final int total;
    private final int perUser;
    private final int perAddress;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<String, Integer> byUser = new ConcurrentHashMap<>();
    private final Map<String, Integer> byAddress = new ConcurrentHashMap<>();

    public StreamLimits(int total, int perUser, int perAddress) {
        this.total = total;
        this.perUser = perUser;
        this.perAddress = perAddress;
    }

    public Limit tryOpen(String user, String address) {
        if (open.incrementAndGet() > total) {
            open.decrementAndGet();
            return Limit.TOTAL;
        }
        if (!increment(byUser, user, perUser)) {
            open.decrementAndGet();
            return Limit.USER;
        }
        if (!increment(byAddress, address, perAddress)) {
            decrement(byUser, user);
            open.decrementAndGet();
            return Limit.ADDRESS;
        }
        return null;
    }

    public void close(String user, String address) {
        decrement(byAddress, address);
        decrement(byUser, user);
        open.decrementAndGet();
    }

    public int total() {
        return total;
    }

    public int perUser() {
        return perUser;
    }

    public int perAddress() {
        return perAddress;
    }

    private static boolean increment(Map<String, Integer> counts, String key, int max) {
        boolean[] counted = {false};
        counts.compute(key, (k, count) -> {
            int now = count == null ? 0 : count;
            if (now >= max) {
                return count;
            }
            counted[0] = true;
            return now + 1;
        });
        return counted[0];
    }

    private static void decrement(Map<String, Integer> counts, String key) {
        counts.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
    }
}
