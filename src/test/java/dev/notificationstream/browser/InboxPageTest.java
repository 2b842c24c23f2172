package dev.notificationstream.browser;

import static dev.notificationstream.browser.InboxStreamTest.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.notificationstream.launch.TomcatDistribution;
import dev.notificationstream.support.TestServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.devtools.NetworkInterceptor;
import org.openqa.selenium.remote.http.Contents;
import org.openqa.selenium.remote.http.Filter;
import org.openqa.selenium.remote.http.HttpMethod;
import org.openqa.selenium.remote.http.HttpResponse;

/** The inbox page around the list: who is signed in, signing out, an empty inbox, failed marks, its icon; and embedding the client. */
class InboxPageTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Another site's page that imports the client from the service, as the README's embedding example does. */
    private static HttpServer otherSite;
    private static TestServer server;
    @RegisterExtension
    final Browser browser = new Browser();

    @BeforeAll
    static void start() throws Exception {
        otherSite = HttpServer.create(new InetSocketAddress("127.0.0.1", TomcatDistribution.freePort()), 0);
        String otherOrigin = "http://127.0.0.1:" + otherSite.getAddress().getPort();
        server = TestServer.start("CORS_ALLOWED_ORIGINS", otherOrigin);
        byte[] page = """
                <!doctype html><title>Another site</title>
                <script type="module">
                  import { NotificationClient } from '%s/js/notification-client.js';
                  window.imported = typeof NotificationClient;
                </script>""".formatted(server.url()).getBytes(StandardCharsets.UTF_8);
        otherSite.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        otherSite.start();
    }

    @AfterAll
    static void stop() throws Exception {
        otherSite.stop(0);
        server.close();
    }

    @Test
    void a_page_of_another_site_imports_the_client_without_credentials() {
        browser.driver.get("http://127.0.0.1:" + otherSite.getAddress().getPort() + "/"); // never signed in to the service
        browser.await(WAIT, "the module imported", d -> "function".equals(browser.script("return window.imported")));
    }

    @Test
    void an_empty_inbox_says_so_and_the_page_shows_who_is_signed_in_and_its_icon() throws Exception {
        browser.openInbox(server.url(), "ops"); // no rows for ops in this database
        browser.await(WAIT, "live", d -> "live".equals(browser.state()));
        assertTrue(browser.driver.findElement(By.id("empty")).isDisplayed(), "the empty state");
        browser.await(WAIT, "the user's name", d -> "ops".equals(browser.driver.findElement(By.id("user")).getText()));
        assertEquals("200 image/svg+xml", browser.script("""
                const icon = new URL(document.querySelector('link[rel=icon]').getAttribute('href'), location.origin + '/');
                return fetch(icon, { credentials: 'omit' })
                    .then((r) => r.status + ' ' + r.headers.get('Content-Type').split(';')[0])"""), "no 404 for the icon");

        InboxStreamTest.insert(server, "ops", null, "The first", null, null);
        browser.await(WAIT, "the row", d -> browser.titles().contains("The first"));
        assertTrue(!browser.driver.findElement(By.id("empty")).isDisplayed(), "no empty state with a row");
    }

    @Test
    void a_long_inbox_opens_with_its_newest_50_and_loads_the_older_ones_on_demand() throws Exception {
        server.execute("INSERT INTO notifications (recipient, title) SELECT 'bob', 'Row ' || g FROM generate_series(1, 70) g");
        browser.openInbox(server.url(), "bob");
        browser.await(WAIT, "live", d -> "live".equals(browser.state()));
        browser.await(WAIT, "the newest 50", d -> browser.titles().size() == 50);
        assertEquals("Row 70", browser.titles().getFirst());
        browser.driver.findElement(By.id("older")).click();
        browser.await(WAIT, "the 20 older ones below", d -> browser.titles().size() == 70);
        assertEquals("Row 1", browser.titles().getLast());
        browser.await(WAIT, "no more to load", d -> !browser.driver.findElement(By.id("older")).isDisplayed());
    }

    @Test
    void a_read_mark_the_server_refuses_turns_the_card_unread_again_and_the_page_says_why() throws Exception {
        String title = unique("Refused mark");
        browser.openInbox(server.url(), "alice");
        browser.await(WAIT, "live", d -> "live".equals(browser.state()));
        InboxStreamTest.insert(server, "alice", null, title, null, null);
        browser.await(WAIT, "the row", d -> browser.titles().contains(title));
        // What a proxy that drops the port from Host made the server answer (deploy/nginx, before the fix).
        try (NetworkInterceptor refusing = new NetworkInterceptor(browser.driver, (Filter) next -> request ->
                request.getMethod() == HttpMethod.POST && request.getUri().endsWith("/read")
                        ? new HttpResponse().setStatus(403).setHeader("Content-Type", "application/json")
                                .setContent(Contents.utf8String("{\"status\":403,\"error\":\"forbidden_origin\",\"message\":\"requests from this origin are not allowed (CORS_ALLOWED_ORIGINS)\"}"))
                        : next.execute(request))) {
            browser.driver.findElement(By.cssSelector("#inbox li:first-child .title")).click();
            browser.await(WAIT, "the page says why", d -> browser.driver.findElement(By.id("notice")).isDisplayed());
            assertEquals("Could not mark it read: requests from this origin are not allowed (CORS_ALLOWED_ORIGINS)",
                    browser.driver.findElement(By.id("notice")).getText());
            browser.await(WAIT, "unread again", d -> browser.driver.findElement(By.cssSelector("#inbox li:first-child"))
                    .getDomAttribute("class").contains("unread"));
        }
    }

    @Test
    void sign_out_ends_this_tabs_stream_and_says_how_to_finish_a_basic_sign_in() throws Exception {
        // The server is the class's: the streams of the earlier tests' browsers end as those quit, not at once.
        assertEquals(0, server.awaitActiveStreams(0, Duration.ofSeconds(30)), "the earlier tests' streams have ended");
        browser.openInbox(server.url(), "bob");
        browser.await(WAIT, "live", d -> "live".equals(browser.state()));
        assertEquals(1, server.awaitActiveStreams(1, WAIT));
        browser.await(WAIT, "the sign-out button", d -> browser.driver.findElement(By.id("sign-out")).isDisplayed());
        browser.driver.findElement(By.id("sign-out")).click();
        browser.await(WAIT, "signed out", d -> "signed-out".equals(browser.state()));
        assertEquals(0, server.awaitActiveStreams(0, WAIT), "the tab's stream ended");
        assertTrue(browser.driver.findElement(By.id("notice")).getText().contains("close the browser to sign out completely"));
    }
}
