package dev.notificationstream.feed;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A few writer virtual threads, each looping over its shard of subscribers that have something to
 * write. Measured here (DESIGN.md): this costs a third of the CPU per delivered event of one woken
 * thread per client. Writes are non-blocking, so a client that stopped reading holds up no one:
 * its writer moves on and the container wakes the subscriber when its socket drains.
 */
final class FanOut {

    private static final Logger LOG = Logger.getLogger(FanOut.class.getName());

    private final LinkedBlockingQueue<Subscriber>[] shards;
    private final Thread[] writers;

    @SuppressWarnings("unchecked")
    FanOut(int threads) {
        shards = new LinkedBlockingQueue[threads];
        writers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            LinkedBlockingQueue<Subscriber> shard = new LinkedBlockingQueue<>();
            shards[i] = shard;
            writers[i] = Thread.ofVirtual().name("sse-writer-" + i).start(() -> write(shard));
        }
    }

    int shards() {
        return shards.length;
    }

    void schedule(Subscriber subscriber) {
        if (subscriber.scheduled.compareAndSet(false, true)) {
            shards[subscriber.shard].add(subscriber);
        }
    }

    private static void write(LinkedBlockingQueue<Subscriber> shard) {
        try {
            while (true) {
                Subscriber subscriber = shard.take();
                subscriber.scheduled.set(false);
                try {
                    subscriber.drain();
                } catch (RuntimeException bug) {
                    LOG.log(Level.SEVERE, "writer failed for user " + subscriber.user, bug);
                    subscriber.end(StreamEnd.ERROR);
                }
            }
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
        }
    }

    void stop() {
        for (Thread writer : writers) {
            writer.interrupt();
        }
    }
}
