package dev.notificationstream.browser;

import static dev.notificationstream.browser.InboxStreamTest.unique;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.devtools.NetworkInterceptor;
import org.openqa.selenium.remote.http.Filter;

/** The rollout share changed with SQL while the inbox is open: the page follows, without a reload. */
class InboxRolloutTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestServer server;
    @RegisterExtension
    final Browser browser = new Browser();

    @BeforeAll
    static void startServer() throws Exception {
        // A brake that trips on the first browser in trouble: this test's one browser is the window's clients.
        server = TestServer.start("NOTIFICATION_POLLING_INTERVAL", "1000", "SSE_BRAKE_MIN_CLIENTS", "1", "SSE_BRAKE_THRESHOLD", "1");
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void everyoneOnSse() throws Exception {
        server.execute("SELECT notifications_set_sse_rollout(100, 'test start')");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (share() != 100) {
            assertTrue(System.nanoTime() < deadline, "the share is back at 100");
            Thread.sleep(20);
        }
    }

    private static int share() {
        return given().header("Authorization", SseClient.basic("ops")).when().get(server.url() + "/api/config")
                .then().statusCode(200).extract().path("sseRolloutPercent");
    }

    @Test
    void a_proxy_that_refuses_sse_makes_the_page_fall_back_and_report_it_and_the_brake_takes_sse_back_from_everyone() throws Exception {
        // Chromium's own network layer (DevTools Fetch domain) plays a proxy that answers /events with 502.
        try (NetworkInterceptor proxy = new NetworkInterceptor(browser.driver, (Filter) next -> request ->
                request.getUri().contains("/events") ? new org.openqa.selenium.remote.http.HttpResponse().setStatus(502) : next.execute(request))) {
            browser.openInbox(server.url(), "alice");
            browser.await(Duration.ofSeconds(20), "polling after 3 refused streams", d -> "polling".equals(browser.state()));
            browser.await(WAIT, "the brake trips on the page's report", d -> share() == 0);
        }
        assertTrue(clientEvents("sse_failed", "http_status") >= 3, "each refused stream was reported");
        assertEquals(1, clientEvents("sse_fallback", "http_status"));
        assertEquals(1, server.metric("notification_stream_sse_brake_trips_total"));
        try (Connection connection = server.sql(); Statement sql = connection.createStatement();
                ResultSet last = sql.executeQuery("SELECT value, reason FROM notification_settings_history ORDER BY id DESC LIMIT 1")) {
            assertTrue(last.next());
            assertEquals(0, last.getInt(1));
            // Alice, and whoever else this class's other tests had on SSE in the window.
            assertTrue(last.getString(2).matches("brake: 1 of \\d+ users on SSE in the last 300 s .*"), last.getString(2));
        }
    }

    @Test
    void an_sql_change_moves_an_open_page_from_the_stream_to_polling_and_back_showing_every_row_once() throws Exception {
        browser.openInbox(server.url(), "alice");
        awaitState("live");
        List<String> titles = new ArrayList<>();

        titles.add(row("Streamed before the change"));
        awaitTitles(titles);
        server.execute("SELECT notifications_set_sse_rollout(0, 'back to polling for everyone')");
        titles.add(row("Committed just after the change"));
        awaitState("polling"); // the stream's last event said so: no wait, no reload
        assertEquals("Polling every 1 s", browser.statusText());
        titles.add(row("Polled"));
        awaitTitles(titles);

        server.execute("SELECT notifications_set_sse_rollout(100, 'everyone on SSE')");
        titles.add(row("Committed just after SSE came back"));
        awaitState("live"); // the next poll answer said sseEnabled: the page streams from that poll's cursor
        titles.add(row("Streamed again"));
        awaitTitles(titles);

        for (String title : titles) {
            assertEquals(1, Collections.frequency(browser.titles(), title), title + " is shown once");
        }
        // What the page's client reported on the way: it fell back because the service said so, and came back.
        browser.await(WAIT, "the client's reports", d -> clientEvents("sse_fallback", "disabled") >= 1 && clientEvents("sse_restored", "none") >= 1);
    }

    @Test
    void a_page_that_goes_away_still_reports_what_it_had_not_sent() {
        double opened = clientEvents("sse_opened", "none");
        browser.openInbox(server.url(), "bob");
        awaitState("live"); // "sse_opened" is queued; the batch would go out 5 s later
        browser.driver.get("about:blank"); // the page goes away first: its beacon carries the batch
        browser.await(WAIT, "the beacon's report", d -> clientEvents("sse_opened", "none") > opened);
    }

    private static String row(String title) throws Exception {
        String unique = unique(title);
        InboxStreamTest.insert(server, "alice", null, unique, null, null);
        return unique;
    }

    private void awaitState(String state) {
        browser.await(WAIT, "status " + state, d -> state.equals(browser.state()));
    }

    private void awaitTitles(List<String> titles) {
        browser.await(WAIT, "the notifications " + titles, d -> browser.titles().containsAll(titles));
    }

    /** notification_stream_client_events_total{type,reason} as /metrics shows it now. */
    static double clientEvents(String type, String reason) {
        return server.metric("notification_stream_client_events_total{reason=\"" + reason + "\",type=\"" + type + "\"}");
    }
}
