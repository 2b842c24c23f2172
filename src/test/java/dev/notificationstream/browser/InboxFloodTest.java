package dev.notificationstream.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;

/** A bulk load into an open inbox: the page keeps the newest rows only and loads older ones on demand. */
class InboxFloodTest {

    private static final int ROWS = 100_000;
    /** webapp/js/inbox.js's SHOWN. */
    private static final int SHOWN = 100;

    @RegisterExtension
    static final TestServer server = TestServer.forClass();
    @RegisterExtension
    final Browser browser = new Browser();

    @Test
    void a_bulk_load_of_100000_rows_into_an_open_inbox_shows_the_newest_and_loads_older_on_demand() throws Exception {
        browser.openInbox(server.url(), "alice");
        browser.await(Duration.ofSeconds(10), "live", d -> "live".equals(browser.state()));
        // The most cards the list ever held, watched in the page itself.
        browser.script("""
                window.flood = { maxCards: 0 };
                const observer = new MutationObserver(() => {
                  window.flood.maxCards = Math.max(window.flood.maxCards, document.querySelectorAll('#inbox .card').length);
                });
                observer.observe(document.getElementById('inbox'), { childList: true });
                """);

        long started = System.nanoTime();
        server.execute("INSERT INTO notifications (recipient, title) SELECT 'alice', 'Flood ' || g FROM generate_series(1, " + ROWS + ") g");
        System.out.printf("flood: %d rows committed in %d ms%n", ROWS, (System.nanoTime() - started) / 1_000_000);
        // The page answers scripts while the rows pour in (each call waits for the page's event loop).
        long longest = 0;
        while (!("Flood " + ROWS).equals(firstTitle())) {
            long asked = System.nanoTime();
            browser.script("return 1");
            longest = Math.max(longest, System.nanoTime() - asked);
            assertTrue(System.nanoTime() - started < Duration.ofSeconds(120).toNanos(), "the newest row on top within 120 s");
            Thread.sleep(100);
        }
        System.out.printf("flood: newest row on top %d ms after the INSERT began; longest script round trip meanwhile %d ms%n",
                (System.nanoTime() - started) / 1_000_000, longest / 1_000_000);
        browser.await(Duration.ofSeconds(30), "the badge counting every row", d -> Integer.toString(ROWS).equals(
                browser.driver.findElement(By.id("unread")).getDomAttribute("data-count")));

        @SuppressWarnings("unchecked")
        Map<String, Object> flood = (Map<String, Object>) browser.script("return window.flood");
        System.out.println("flood: " + flood + ", JS heap " + browser.script("return performance.memory.usedJSHeapSize") + " bytes");
        assertTrue(((Number) flood.get("maxCards")).intValue() <= SHOWN, "never more than " + SHOWN + " cards: " + flood);
        List<String> titles = browser.titles();
        assertEquals(SHOWN, titles.size());
        assertEquals("Flood " + (ROWS - SHOWN + 1), titles.getLast(), "the newest " + SHOWN + ", newest first");

        // "Load older" brings the next rows below, once each.
        browser.driver.findElement(By.id("older")).click();
        browser.await(Duration.ofSeconds(10), "older rows below", d -> browser.titles().size() == SHOWN + SHOWN / 2);
        titles = browser.titles();
        assertEquals("Flood " + (ROWS - SHOWN), titles.get(SHOWN));
        assertEquals("Flood " + (ROWS - SHOWN - SHOWN / 2 + 1), titles.getLast());
        assertEquals(titles.size(), titles.stream().distinct().count(), "each once");

        // A row that arrives now goes on top and the rows loaded on demand stay.
        InboxStreamTest.insert(server, "alice", null, "After the flood", null, null);
        browser.await(Duration.ofSeconds(10), "the new row on top", d -> "After the flood".equals(firstTitle()));
        assertEquals(SHOWN + SHOWN / 2, browser.titles().size());
    }

    /** In one script: the list changes under a driver that reads it element by element. */
    private String firstTitle() {
        return (String) browser.script("return document.querySelector('#inbox .title')?.textContent ?? null");
    }
}
