package dev.notificationstream.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.TestServer;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The inbox page with SSE on (the default), in a real headless Chromium. */
class InboxStreamTest {

    private static TestServer server;
    private Browser browser;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void openBrowser() {
        browser = Browser.open();
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void a_row_inserted_with_sql_appears_on_the_open_page_within_two_seconds() throws Exception {
        browser.openInbox(server.url(), "alice");
        browser.await(Duration.ofSeconds(10), "the page goes live", d -> "live".equals(browser.state()));
        assertEquals("Live", browser.statusText());

        String title = "Invoice " + UUID.randomUUID();
        server.execute("INSERT INTO notifications (recipient, category, title, body) VALUES ('alice', 'billing', '" + title + "', 'Due in 14 days')");
        long inserted = System.nanoTime();
        browser.await(Duration.ofSeconds(2), "the row within 2 s", d -> browser.titles().contains(title));
        System.out.printf("SSE: row on the page %d ms after its commit%n", (System.nanoTime() - inserted) / 1_000_000);
        assertEquals(title, browser.titles().getFirst(), "newest first");
    }
}
