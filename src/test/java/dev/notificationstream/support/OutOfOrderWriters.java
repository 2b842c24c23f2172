package dev.notificationstream.support;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The load that breaks "id > last id": writers whose commits land out of id order. Each commits
 * 1 to 5 rows titled {@code load N} at a time, holds its ids up to 50 ms while others commit
 * theirs, and rolls back one transaction in ten.
 */
public final class OutOfOrderWriters {

    private OutOfOrderWriters() {}

    /**
     * Starts {@code count} writers that run until {@code untilNanos} ({@link System#nanoTime});
     * {@code recipient} gives each statement's recipient as SQL ({@code NULL} for everyone).
     */
    public static List<Thread> start(int count, long untilNanos, Callable<Connection> connect, Supplier<String> recipient) {
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < count; w++) {
            writers.add(Thread.ofPlatform().start(() -> write(untilNanos, connect, recipient)));
        }
        return writers;
    }

    private static void write(long until, Callable<Connection> connect, Supplier<String> recipient) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try (Connection connection = connect.call(); Statement sql = connection.createStatement()) {
            connection.setAutoCommit(false);
            while (System.nanoTime() < until) {
                sql.executeUpdate("INSERT INTO notifications (recipient, title) SELECT " + recipient.get() + ", 'load ' || g"
                        + " FROM generate_series(1, " + random.nextInt(1, 6) + ") g");
                Thread.sleep(random.nextInt(0, 50));
                if (random.nextInt(10) == 0) {
                    connection.rollback();
                } else {
                    connection.commit();
                }
            }
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
