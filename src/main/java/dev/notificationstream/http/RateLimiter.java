package dev.notificationstream.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per key (a user): {@code burst} requests at once, then one per {@code period}.
 * Buckets that have filled up again are forgotten now and then, so the map holds active users only.
 */
public final class RateLimiter {

    private record Bucket(double tokens, long updatedNanos) {}

    private static final int SWEEP_ABOVE = 10_000;

    private final int burst;
    private final long periodNanos;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(int burst, long periodNanos) {
        this.burst = burst;
        this.periodNanos = periodNanos;
    }

    /** Takes a token: 0 when allowed, else the whole seconds to wait (for Retry-After). */
    public long tryAcquire(String key) {
        long now = System.nanoTime();
        long[] waitSeconds = {0};
        buckets.compute(key, (k, bucket) -> {
            double tokens = bucket == null ? burst
                    : Math.min(burst, bucket.tokens + (double) (now - bucket.updatedNanos) / periodNanos);
            if (tokens >= 1) {
                return new Bucket(tokens - 1, now);
            }
            waitSeconds[0] = Math.max(1, (long) Math.ceil((1 - tokens) * periodNanos / 1e9));
            return new Bucket(tokens, now);
        });
        if (buckets.size() > SWEEP_ABOVE) {
            buckets.values().removeIf(b -> b.tokens + (double) (now - b.updatedNanos) / periodNanos >= burst);
        }
        return waitSeconds[0];
    }
}
