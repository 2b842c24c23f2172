package dev.notificationstream.browser;

import static dev.notificationstream.browser.InboxStreamTest.insert;
import static dev.notificationstream.browser.InboxStreamTest.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.TestServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The inbox page with ENABLE_SSE=false: the same client polls /api/notifications instead. */
class InboxPollingTest {

    private static final int POLL_INTERVAL_MS = 1_000; // the shortest the server accepts
    private static TestServer server;
    @RegisterExtension
    final Browser browser = new Browser();

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start("ENABLE_SSE", "false", "NOTIFICATION_POLLING_INTERVAL", String.valueOf(POLL_INTERVAL_MS));
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Test
    void a_row_inserted_with_sql_appears_within_the_poll_interval_and_no_stream_is_ever_opened() throws Exception {
        browser.openInbox(server.url(), "alice");
        browser.await(Duration.ofSeconds(10), "the page polls", d -> "polling".equals(browser.state()));
        assertEquals("Polling every 1 s", browser.statusText());

        String title = unique("Polled row");
        insert(server, "alice", "reports", title, "Weekly report is ready", "/reports/week-47");
        long inserted = System.nanoTime();
        // The next poll starts within the interval; allow it the time of one request and a render.
        browser.await(Duration.ofMillis(POLL_INTERVAL_MS + 750), "the row within the poll interval", d -> browser.titles().contains(title));
        System.out.printf("polling: row on the page %d ms after its commit%n", (System.nanoTime() - inserted) / 1_000_000);

        @SuppressWarnings("unchecked")
        List<String> requested = (List<String>) browser.script(
                "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)");
        assertEquals(List.of(), requested.stream().filter(path -> path.equals("/events")).toList(),
                "config said SSE is off: the client never tried /events");
        assertEquals(true, requested.contains("/api/notifications"));
    }
}
