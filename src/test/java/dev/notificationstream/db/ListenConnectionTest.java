package dev.notificationstream.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.TestDatabase;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * The ChangeFeed's connection ({@link Database#openDedicated}) under a steady stream of commits,
 * like a DBA's loop of single-row INSERTs: pgjdbc's probe for "more within 1 ms" is answered at
 * once, so a wait returns with what has arrived instead of lingering while commits keep coming
 * (the effect on delivery is measured in docs/benchmarks.md, scenario 3), and no notification is
 * lost to it.
 */
class ListenConnectionTest {

    private static final int COMMITS = 20_000;

    @Test
    void pgjdbcs_one_millisecond_probe_for_more_is_answered_at_once_and_consumes_nothing() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket client = new PromptListenSocketFactory().createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                Socket peer = server.accept()) {
            peer.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();
            client.setSoTimeout(1); // PGStream.hasMessagePending: "does another message come within 1 ms?"
            assertThrows(SocketTimeoutException.class, in::read);
            client.setSoTimeout(5_000);
            assertEquals('h', in.read());
            assertEquals('i', in.read());
        }
    }

    @Test
    void the_wait_for_notifications_returns_while_commits_keep_coming_and_loses_none() throws Exception {
        String url = TestDatabase.create();
        try (Connection listener = Database.openDedicated(url, 60); Connection sender = TestDatabase.connect(url)) {
            try (Statement listen = listener.createStatement()) {
                listen.execute("LISTEN steady");
            }
            PGConnection notifications = listener.unwrap(PGConnection.class);
            // The wait starts first; then one commit every ~0.3 ms, with no round trip to a client between them.
            CompletableFuture<Integer> firstWait = CompletableFuture.supplyAsync(() -> {
                try {
                    return notifications.getNotifications(30_000).length;
                } catch (SQLException failed) {
                    throw new IllegalStateException(failed);
                }
            });
            Thread.sleep(300);
            AtomicBoolean streamEnded = new AtomicBoolean();
            Thread stream = Thread.ofPlatform().start(() -> {
                try (Statement statement = sender.createStatement()) {
                    statement.execute("SET synchronous_commit = off");
                    statement.execute("DO $$ BEGIN FOR i IN 1.." + COMMITS
                            + " LOOP PERFORM pg_notify('steady', ''); COMMIT; END LOOP; END $$");
                } catch (SQLException failed) {
                    throw new IllegalStateException(failed);
                } finally {
                    streamEnded.set(true);
                }
            });

            int first = firstWait.get(30, TimeUnit.SECONDS);
            boolean returnedDuringTheStream = !streamEnded.get();
            stream.join();
            int received = first;
            while (received < COMMITS) {
                int more = notifications.getNotifications(5_000).length;
                if (more == 0) {
                    break;
                }
                received += more;
            }

            assertTrue(first > 0, "the first wait returned no notification");
            assertTrue(returnedDuringTheStream,
                    "the first wait returned only when the stream of commits had ended, with " + first + " notifications");
            assertEquals(COMMITS, received, "notifications received in all");
        }
    }
}
