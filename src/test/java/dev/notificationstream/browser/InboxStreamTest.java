package dev.notificationstream.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.devtools.NetworkInterceptor;
import org.openqa.selenium.remote.http.Filter;

/** The inbox page with SSE on (the default), in a real headless Chromium. */
class InboxStreamTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestServer server;
    @RegisterExtension
    final Browser browser = new Browser();

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Test
    void a_row_inserted_with_sql_appears_on_the_open_page_within_two_seconds() throws Exception {
        browser.openInbox(server.url(), "alice");
        awaitState("live");
        assertEquals("Live", browser.statusText());

        String title = unique("Invoice");
        insert(server, "alice", "billing", title, "Due in 14 days", null);
        long inserted = System.nanoTime();
        browser.await(Duration.ofSeconds(2), "the row within 2 s", d -> browser.titles().contains(title));
        System.out.printf("SSE: row on the page %d ms after its commit%n", (System.nanoTime() - inserted) / 1_000_000);
        assertEquals(title, browser.titles().getFirst(), "newest first");
        assertEquals("card unread new", browser.driver.findElement(By.cssSelector("#inbox li:first-child")).getDomAttribute("class"), "unread, and new since the page opened");
    }

    @Test
    void rows_inserted_while_the_server_was_down_appear_once_each_after_it_restarts() throws Exception {
        browser.openInbox(server.url(), "alice");
        awaitState("live");
        String before = unique("Before the restart");
        insert(server, "alice", null, before, null, null);
        awaitTitle(before);

        server.stop();
        awaitState("reconnecting");
        List<String> whileDown = List.of(unique("Down 1"), unique("Down 2"), unique("Down 3"));
        for (String title : whileDown) {
            insert(server, "alice", "ops", title, null, null);
        }
        server.restart();

        browser.await(Duration.ofSeconds(20), "every row inserted while down", d -> browser.titles().containsAll(whileDown));
        awaitState("live");
        String after = unique("After the restart");
        insert(server, "alice", null, after, null, null);
        awaitTitle(after); // the resumed stream is live, and anything repeated would be on the page by now
        List<String> titles = browser.titles();
        for (String title : List.of(before, whileDown.get(0), whileDown.get(1), whileDown.get(2), after)) {
            assertEquals(1, Collections.frequency(titles, title), title + " once in " + titles);
        }
    }

    @Test
    void coming_back_to_the_page_in_the_same_tab_resumes_from_its_cursor_and_shows_each_row_once() throws Exception {
        browser.openInbox(server.url(), "alice");
        awaitState("live");
        browser.driver.get("about:blank"); // the tab keeps its sessionStorage, and so the cursor
        String batch = unique("Missed");
        // More than the 50 newest the page loads on open: only the cursor can bring back all of them,
        // and the 50 come twice (history and resume) unless the client drops repeated ids.
        server.execute("INSERT INTO notifications (recipient, title) SELECT 'alice', '" + batch + " ' || g FROM generate_series(1, 60) g");
        browser.driver.get(server.url() + "/"); // a new page load (back() could restore the old page from the bfcache)

        browser.await(WAIT, "all 60 missed rows", d -> browser.titles().stream().filter(t -> t.startsWith(batch)).count() >= 60);
        awaitState("live");
        List<String> missed = browser.titles().stream().filter(t -> t.startsWith(batch)).toList();
        assertEquals(60, missed.size(), "each once");
        assertEquals(60, missed.stream().distinct().count());
    }

    @Test
    void two_tabs_share_one_stream_and_the_other_tab_takes_over_when_the_leader_closes() throws Exception {
        browser.openInbox(server.url(), "alice");
        awaitState("live");
        String leader = browser.driver.getWindowHandle();
        String follower = browser.openTab(server.url());
        awaitState("live"); // the leader's status, passed over the BroadcastChannel
        assertEquals(false, browser.script("return window.inboxClient.status.leader"));
        awaitStreams(1);
        Thread.sleep(2_500); // more than two heartbeats (1 s here): no second stream, no watchdog reconnect
        assertEquals(1, activeStreams(server), "one stream for two tabs");

        String shared = unique("To both tabs");
        insert(server, "alice", null, shared, null, null);
        awaitTitle(shared);
        browser.switchTo(leader);
        awaitTitle(shared);

        browser.driver.close(); // the leader's tab
        browser.switchTo(follower);
        String afterLeader = unique("After the leader left");
        insert(server, "alice", null, afterLeader, null, null); // at once: no gap while the other tab takes over
        awaitTitle(afterLeader);
        // The closing tab may still hand this one the row before the lock passes: wait for the take-over.
        browser.await(WAIT, "this tab leads", d -> Boolean.TRUE.equals(browser.script("return window.inboxClient.status.leader")));
        awaitStreams(1);
        assertEquals(1, Collections.frequency(browser.titles(), shared));
    }

    @Test
    void html_in_a_notification_is_shown_as_text_and_never_run() throws Exception {
        browser.openInbox(server.url(), "alice");
        awaitState("live");
        // The page's own defence, for a database the link rule of migration V3 is not on.
        server.execute("ALTER TABLE notifications DROP CONSTRAINT notifications_link_safe");
        String offSite = unique("Off-site");
        insert(server, "alice", null, offSite, null, "//evil.example/x");
        awaitTitle(offSite);
        assertTrue(browser.driver.findElement(By.cssSelector("#inbox li:first-child")).findElements(By.tagName("a")).isEmpty(),
                "a path that leaves the site is dropped");
        String title = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script> " + UUID.randomUUID();
        insert(server, "alice", "<b>cat</b>", title, "<i>body</i>", "javascript:window.pwned=3");
        awaitTitle(title);

        var card = browser.driver.findElement(By.cssSelector("#inbox li:first-child"));
        assertEquals(title, card.findElement(By.className("title")).getDomProperty("textContent"));
        assertEquals("<i>body</i>", card.findElement(By.className("body")).getDomProperty("textContent"));
        assertEquals("<b>cat</b>", card.findElement(By.className("category")).getDomProperty("textContent"));
        assertTrue(browser.driver.findElements(By.cssSelector("#inbox img, #inbox script, #inbox b, #inbox i")).isEmpty(), "no markup made it in");
        assertTrue(card.findElements(By.tagName("a")).isEmpty(), "a javascript: link is dropped");
        Thread.sleep(300); // an onerror handler would have run by now
        assertNull(browser.script("return window.pwned"));
        server.execute("DELETE FROM notifications WHERE NOT notifications_link_is_safe(link)");
        server.execute("ALTER TABLE notifications ADD CONSTRAINT notifications_link_safe CHECK (notifications_link_is_safe(link))");
    }

    @Test
    void turning_sse_off_moves_an_open_page_to_polling_at_once_and_loses_nothing() throws Exception {
        browser.openInbox(server.url(), "alice");
        awaitState("live");
        server.stop();
        String whileDown = unique("While SSE was being turned off");
        insert(server, "alice", null, whileDown, null, null);
        // One embedded Tomcat at a time in this JVM (a second one's JNDI context clashes): restart
        // this test's server with SSE off, and turn it back on at the end.
        server.restart("ENABLE_SSE", "false", "NOTIFICATION_POLLING_INTERVAL", "1000");
        try {
            // The stream's next try gets 503 sse_disabled: the page polls from then on, with its cursor.
            awaitTitle(whileDown);
            awaitState("polling");
            assertEquals("Polling every 1 s", browser.statusText());
            String polled = unique("Polled");
            insert(server, "alice", null, polled, null, null);
            awaitTitle(polled);
            assertEquals(1, Collections.frequency(browser.titles(), whileDown));
        } finally {
            server.stop();
            server.restart("ENABLE_SSE", "true", "NOTIFICATION_POLLING_INTERVAL", "60000"); // as the other tests expect
        }
    }

    @Test
    void when_something_between_answers_the_stream_with_errors_the_page_falls_back_to_polling() throws Exception {
        browser.openInbox(server.url(), "alice");
        awaitState("live");
        // Chromium's own network layer (DevTools Fetch domain) plays a proxy that refuses SSE: every
        // /events request gets a 502; everything else passes.
        try (NetworkInterceptor proxy = new NetworkInterceptor(browser.driver, (Filter) next -> request ->
                request.getUri().contains("/events") ? new org.openqa.selenium.remote.http.HttpResponse().setStatus(502) : next.execute(request))) {
            browser.driver.navigate().refresh();
            String meanwhile = unique("While SSE is blocked");
            insert(server, "alice", null, meanwhile, null, null);
            browser.await(Duration.ofSeconds(15), "polling after repeated SSE failures", d -> "polling".equals(browser.state()));
            assertEquals("Polling every 60 s", browser.statusText()); // the server's default interval
            awaitTitle(meanwhile);
        }
    }

    @Test
    void a_stream_answered_401_shows_signed_out_instead_of_reconnecting() throws Exception {
        browser.openInbox(server.url(), "alice");
        awaitState("live");
        // The sign-in expires under an open page: the reload's first /api/config (and its history)
        // still pass, then /events and every later /api/config are answered 401. EventSource shows
        // no status; the client's config check finds the 401.
        AtomicInteger configs = new AtomicInteger();
        try (NetworkInterceptor expired = new NetworkInterceptor(browser.driver, (Filter) next -> request -> {
            String uri = request.getUri();
            boolean refused = uri.contains("/events") || (uri.contains("/api/config") && configs.getAndIncrement() > 0);
            return refused ? new org.openqa.selenium.remote.http.HttpResponse().setStatus(401) : next.execute(request);
        })) {
            browser.driver.navigate().refresh();
            awaitState("unauthenticated");
            assertEquals("Signed out: sign in again", browser.statusText());
            int asked = configs.get();
            Thread.sleep(3_000); // longer than the first backoffs: no retry loop
            assertEquals("unauthenticated", browser.state());
            assertEquals(asked, configs.get(), "no new tries while signed out");
        }
    }

    @Test
    void the_inbox_looks_right_on_a_desktop_and_a_phone() throws Exception {
        // bob's inbox: only the broadcasts of the other tests reach him, so insert his own now
        server.execute("DELETE FROM notifications WHERE recipient IS NULL");
        server.execute("""
                INSERT INTO notifications (recipient, category, title, body, link, created_at) VALUES
                ('bob', 'security', 'New sign-in from Firefox on Linux', 'Lyon, France. If this was not you, change your password.', '/account/security', now() - interval '3 hours'),
                ('bob', 'billing', 'Invoice #2024-118 is ready', 'Amount due: 42.00 EUR, by 30 November.', '/invoices/2024-118', now() - interval '26 minutes')""");
        // bob has read those two (on his phone, say): up to the cursor that saw them
        HttpClient http = HttpClient.newHttpClient();
        String cursor = new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/notifications?limit=1"))
                .header("Authorization", SseClient.basic("bob")).build(), HttpResponse.BodyHandlers.ofString()).body()).get("cursor").asText();
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/notifications/read-all?cursor=" + cursor))
                .header("Authorization", SseClient.basic("bob")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        server.execute("""
                INSERT INTO notifications (recipient, category, title, body, link, created_at) VALUES
                ('bob', 'deploys', 'checkout-service 3.14.2 rolled out', 'All 12 instances healthy.', null, now() - interval '4 minutes')""");
        browser.openInbox(server.url(), "bob");
        awaitState("live");
        // The page's first count (the deploy row) before anything arrives: a row committed while a
        // count is on its way may be counted twice (README, "An unread badge that stays right").
        browser.await(WAIT, "the first count", d -> "1".equals(browser.driver.findElement(By.id("unread")).getDomAttribute("data-count")));
        insert(server, "bob", "comments", "Ana replied to your review", "\"Good catch, fixed in the next commit.\"", "/reviews/381#c7");
        insert(server, "bob", "mentions", "You were mentioned in #release", "@bob can you sign off on 3.15 today?", "/chat/release");
        awaitTitle("You were mentioned in #release");
        browser.await(WAIT, "the badge at 3 unread", d -> "3".equals(browser.driver.findElement(By.id("unread")).getDomAttribute("data-count")));
        Thread.sleep(600); // the new cards' arrival animation (0.4 s) has ended

        // Into target/ on every run: tests never rewrite tracked files. The README's screenshot
        // command passes -Dscreenshots.dir=docs to refresh the pictures it shows.
        Path docs = Path.of(System.getProperty("screenshots.dir", "target/screenshots"));
        Files.createDirectories(docs);
        Files.write(docs.resolve("inbox.png"), browser.driver.getScreenshotAs(OutputType.BYTES));
        browser.driver.manage().window().setSize(new Dimension(390, 844));
        Thread.sleep(200); // let the layout settle at the new width
        assertFalse((Boolean) browser.script("return document.documentElement.scrollWidth > window.innerWidth"), "no sideways scrolling on a phone");
        Files.write(docs.resolve("inbox-phone.png"), browser.driver.getScreenshotAs(OutputType.BYTES));
    }

    private void awaitState(String state) {
        browser.await(WAIT, "status " + state, d -> state.equals(browser.state()));
    }

    private void awaitTitle(String title) {
        browser.await(WAIT, "a notification titled " + title, d -> browser.titles().contains(title));
    }

    private static void awaitStreams(int expected) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (activeStreams(server) != expected) {
            assertTrue(System.nanoTime() < deadline, "expected " + expected + " streams, the server has " + activeStreams(server));
            Thread.sleep(100);
        }
    }

    static int activeStreams(TestServer server) {
        return server.activeStreams();
    }

    static String unique(String title) {
        return title + " " + UUID.randomUUID().toString().substring(0, 8);
    }

    /** An INSERT as a DBA would type it, with the values bound (any text, any quotes). */
    static void insert(TestServer server, String recipient, String category, String title, String body, String link) throws Exception {
        try (Connection sql = server.sql();
                PreparedStatement insert = sql.prepareStatement(
                        "INSERT INTO notifications (recipient, category, title, body, link) VALUES (?, ?, ?, ?, ?)")) {
            insert.setString(1, recipient);
            insert.setString(2, category);
            insert.setString(3, title);
            insert.setString(4, body);
            insert.setString(5, link);
            insert.executeUpdate();
        }
    }
}
