package dev.notificationstream.feed;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A few writer virtual threads, each looping over its shard of subscribers that have something to
 * write. Measured here (DESIGN.md): this costs a third of the CPU per delivered event of one woken
 * thread per client. Writes are non-blocking, so a client that stopped reading holds up no one:
 * its writer moves on and the container wakes the subscriber when its socket drains.
 *
 * <p>A broadcast schedules every subscriber in a burst: a writer is woken once per burst, not once
 * per subscriber (a blocking queue's signal and a virtual thread's unpark per subscriber cost ~10 %
 * of the broadcast's CPU in the benchmark's profile, docs/benchmarks.md).
 */
final class FanOut {

    private static final Logger LOG = Logger.getLogger(FanOut.class.getName());

    /** One writer's queue; {@code parked} is set while the writer waits for work. */
    private static final class Shard {
        final ConcurrentLinkedQueue<Subscriber> queue = new ConcurrentLinkedQueue<>();
        final AtomicBoolean parked = new AtomicBoolean();
        Thread writer;
    }

    private final Shard[] shards;

    FanOut(int threads) {
        shards = new Shard[threads];
        for (int i = 0; i < threads; i++) {
            Shard shard = new Shard();
            shards[i] = shard;
            shard.writer = Thread.ofVirtual().name("sse-writer-" + i).unstarted(() -> write(shard));
        }
        for (Shard shard : shards) {
            shard.writer.start();
        }
    }

    int shards() {
        return shards.length;
    }

    void schedule(Subscriber subscriber) {
        if (subscriber.scheduled.compareAndSet(false, true)) {
            Shard shard = shards[subscriber.shard];
            shard.queue.add(subscriber);
            // The writer sets parked before its last look at the queue, so one of us sees the other.
            if (shard.parked.get() && shard.parked.compareAndSet(true, false)) {
                LockSupport.unpark(shard.writer);
            }
        }
    }

    private static void write(Shard shard) {
        while (!Thread.currentThread().isInterrupted()) {
            Subscriber subscriber = shard.queue.poll();
            if (subscriber == null) {
                shard.parked.set(true);
                if (shard.queue.isEmpty()) {
                    LockSupport.park(shard); // returns on unpark, interrupt, or spuriously: look again
                }
                shard.parked.set(false);
                continue;
            }
            subscriber.scheduled.set(false);
            try {
                subscriber.drain();
            } catch (RuntimeException bug) {
                LOG.log(Level.SEVERE, "writer failed for user " + subscriber.user, bug);
                subscriber.end(StreamEnd.ERROR);
            }
        }
    }

    void stop() {
        for (Shard shard : shards) {
            shard.writer.interrupt();
        }
    }
}
