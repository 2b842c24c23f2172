package dev.notificationstream.launch;

import dev.notificationstream.config.Config;
import dev.notificationstream.config.QueueLimits;
import dev.notificationstream.db.Database;
import dev.notificationstream.db.NotificationStore;
import dev.notificationstream.feed.ChangeFeed;
import dev.notificationstream.feed.Hub;
import dev.notificationstream.metrics.Metrics;
import dev.notificationstream.stream.EventFormat;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;

/**
 * For bench/run.sh's listeners-only scenario: {@code K} instances reduced to their ChangeFeed (each
 * its own LISTEN connection, reads and hub, no streams) against one database, in one JVM, so that
 * what K instances cost PostgreSQL per inserting statement can be measured without K Tomcats.
 * Arguments: {@code DATABASE_URL K} ({@code DATABASE_URL 0 migrate}: only migrate). Prints {@code ready} once every feed has connected; stops when
 * stdin closes.
 */
public final class FeedSimulation {

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int count = Integer.parseInt(args[1]);
        Database database = Database.open(url, 2); // the feeds' reads while LISTEN is down; unused otherwise
        if (args.length > 2 && args[2].equals("migrate")) { // the schema, for scenarios that run no server
            database.migrate();
            database.close();
            return;
        }
        NotificationStore store = new NotificationStore(database.dataSource());
        List<ChangeFeed> feeds = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            Metrics metrics = new Metrics();
            Hub hub = new Hub(new EventFormat(), 1, 10, QueueLimits.from(Config.DEPLOYMENT), metrics);
            // No settings to reload: the rollout share does not change during the measurement.
            ChangeFeed feed = new ChangeFeed(url, database.dataSource(), store, hub, 10, 1_000, 3, metrics, connection -> {});
            feed.start();
            feeds.add(feed);
        }
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (feeds.stream().anyMatch(feed -> feed.state() != ChangeFeed.State.UP) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        System.out.println("ready " + feeds.stream().filter(feed -> feed.state() == ChangeFeed.State.UP).count());
        System.out.flush();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
            while (in.readLine() != null) {
                // until the driver closes stdin
            }
        }
        for (ChangeFeed feed : feeds) {
            feed.stop();
        }
        database.close();
    }
}
