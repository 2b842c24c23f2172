package dev.notificationstream.browser;

import static dev.notificationstream.browser.InboxStreamTest.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/** Read state on the inbox page: the unread badge, read and unread cards, "Mark all read", across instances. */
class InboxReadStateTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static TestServer first;
    private static TestServer second;
    @RegisterExtension
    final Browser browser = new Browser();

    @BeforeAll
    static void startServers() throws Exception {
        first = TestServer.start();
        second = TestServer.startOn(first.databaseUrl()); // another instance on the same database
    }

    @AfterAll
    static void stopServers() throws Exception {
        second.close();
        first.close();
    }

    @Test
    void read_through_another_instance_turns_the_card_read_and_the_badge_drops_within_a_second() throws Exception {
        long older = insert("alice", unique("Older"));
        long newer = insert("alice", unique("Newer"));
        browser.openInbox(first.url(), "alice");
        awaitState("live");
        awaitBadge(2);
        assertTrue(unread(older) && unread(newer), "both cards unread");

        // alice's phone, on the second instance: its API, with her credentials
        assertEquals(204, post(second, "alice", "/api/notifications/" + older + "/read").statusCode());
        long marked = System.nanoTime();
        browser.await(Duration.ofSeconds(1), "the card read and the badge at 1 within a second",
                d -> !unread(older) && badge() == 1);
        System.out.printf("read state: card read on the page %d ms after the mark on the other instance%n",
                (System.nanoTime() - marked) / 1_000_000);
        assertTrue(unread(newer));
        assertEquals("1 unread", browser.driver.findElement(By.id("unread")).getText());

        // A click on the card marks it on the server too.
        card(newer).findElement(By.className("title")).click();
        browser.await(WAIT, "the clicked card read, no badge", d -> !unread(newer) && badge() == 0);
        assertFalse(browser.driver.findElement(By.id("unread")).isDisplayed(), "no badge at 0");
        awaitServerCount("alice", 0);
    }

    @Test
    void mark_all_read_zeroes_the_badge_and_a_row_inserted_afterwards_stays_unread() throws Exception {
        List<Long> ids = List.of(insert("bob", unique("One")), insert("bob", unique("Two")), insert("bob", unique("Three")));
        browser.openInbox(first.url(), "bob");
        awaitState("live");
        awaitBadge(3);

        browser.driver.findElement(By.id("mark-all")).click();
        browser.await(WAIT, "every card read, badge 0", d -> badge() == 0 && ids.stream().noneMatch(this::unread));
        assertFalse(browser.driver.findElement(By.id("mark-all")).isEnabled(), "nothing left to mark");
        awaitServerCount("bob", 0);

        long later = insert("bob", unique("After mark all"));
        browser.await(WAIT, "the later row, unread, badge 1", d -> cardShown(later) && unread(later) && badge() == 1);
        assertTrue(browser.driver.findElement(By.id("mark-all")).isEnabled());
        assertEquals(1, serverCount("bob"));
        assertEquals("(1) Inbox", browser.driver.getTitle());
    }

    private void awaitState(String state) {
        browser.await(WAIT, "status " + state, d -> state.equals(browser.state()));
    }

    private void awaitBadge(int count) {
        browser.await(WAIT, "the badge at " + count, d -> badge() == count);
    }

    /** The badge's number; -1 before the page has a count. */
    private int badge() {
        String count = browser.driver.findElement(By.id("unread")).getDomAttribute("data-count");
        return count == null || count.isEmpty() ? -1 : Integer.parseInt(count);
    }

    private WebElement card(long id) {
        return browser.driver.findElement(By.cssSelector("#inbox .card[data-id='" + id + "']"));
    }

    private boolean cardShown(long id) {
        return !browser.driver.findElements(By.cssSelector("#inbox .card[data-id='" + id + "']")).isEmpty();
    }

    private boolean unread(long id) {
        return card(id).getDomAttribute("class").contains("unread");
    }

    private static void awaitServerCount(String user, long expected) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (serverCount(user) != expected) {
            assertTrue(System.nanoTime() < deadline, user + "'s unread count on the server: " + serverCount(user) + ", expected " + expected);
            Thread.sleep(100);
        }
    }

    static long serverCount(String user) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(second.url() + "/api/notifications/unread-count"))
                .header("Authorization", SseClient.basic(user)).build(), HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(response.body()).get("unread").asLong();
    }

    static HttpResponse<String> post(TestServer server, String user, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", SseClient.basic(user))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A row for {@code user}, inserted with SQL; its id. */
    static long insert(String user, String title) throws Exception {
        try (Connection sql = first.sql();
                PreparedStatement insert = sql.prepareStatement("INSERT INTO notifications (recipient, title) VALUES (?, ?) RETURNING id")) {
            insert.setString(1, user);
            insert.setString(2, title);
            try (ResultSet id = insert.executeQuery()) {
                id.next();
                return id.getLong(1);
            }
        }
    }
}
