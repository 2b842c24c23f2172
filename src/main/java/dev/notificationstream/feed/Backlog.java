package dev.notificationstream.feed;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What all streams' queues hold, in bytes of encoded events, each page counted once however many
 * queues hold it (a broadcast page queued for 10,000 streams is one page in memory). The hub ends
 * the streams holding the most when it passes its bound.
 */
final class Backlog {

    private final long max;
    private final AtomicLong held = new AtomicLong();

    Backlog(long max) {
        this.max = max;
    }

    void hold(EncodedPage page) {
        if (page.holders.getAndIncrement() == 0) {
            held.addAndGet(page.length());
        }
    }

    void release(EncodedPage page) {
        if (page.holders.decrementAndGet() == 0) {
            held.addAndGet(-page.length());
        }
    }

    long held() {
        return held.get();
    }

    boolean isOver() {
        return held.get() > max;
    }
}
