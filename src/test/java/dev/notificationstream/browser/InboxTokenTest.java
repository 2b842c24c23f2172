package dev.notificationstream.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.support.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The JavaScript client signed in with tokens in a real headless Chromium: the page's getToken
 * mints short-lived HS256 tokens (WebCrypto, the test server's secret), as a page of the team's own
 * application would fetch them from its backend.
 */
class InboxTokenTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    @RegisterExtension
    static final TestServer server = TestServer.forClass();
    @RegisterExtension
    final Browser browser = new Browser();

    /**
     * Opens a page of the service's origin that needs no sign-in, and there a client whose getToken
     * mints tokens for {@code user} living {@code lifeSeconds}; {@code failing}: getToken rejects.
     * The page keeps what the client reports in window.seen (titles, in order), window.states and
     * window.tokensGiven.
     */
    private void openClient(String user, int lifeSeconds, boolean failing) {
        browser.driver.get(server.url() + "/health");
        browser.script("""
                const [secret, user, life, failing] = arguments;
                window.seen = []; window.states = []; window.tokensGiven = 0;
                const text = new TextEncoder();
                const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
                    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
                const part = (json) => b64(text.encode(JSON.stringify(json)));
                async function getToken() {
                  if (failing) throw new Error('the application is down');
                  const key = await crypto.subtle.importKey('raw', text.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
                  const now = Math.floor(Date.now() / 1000);
                  const signed = part({ alg: 'HS256', typ: 'JWT' }) + '.' + part({ sub: user, iat: now, exp: now + life });
                  window.tokensGiven++;
                  return signed + '.' + b64(await crypto.subtle.sign('HMAC', key, text.encode(signed)));
                }
                import('/js/notification-client.js').then(({ NotificationClient }) => {
                  window.client = new NotificationClient({
                    getToken,
                    onNotification: (n) => window.seen.push(n.title),
                    onStatus: (s) => window.states.push(s.state),
                  });
                }, (failure) => window.states.push('import failed: ' + failure));
                """, TestServer.TOKEN_SECRET, user, lifeSeconds, failing);
    }

    @SuppressWarnings("unchecked")
    private List<String> seen() {
        return new ArrayList<>((List<String>) browser.script("return window.seen"));
    }

    @SuppressWarnings("unchecked")
    private List<String> states() {
        return new ArrayList<>((List<String>) browser.script("return window.states"));
    }

    private long tokensGiven() {
        return (Long) browser.script("return window.tokensGiven");
    }

    @Test
    void get_token_renews_the_cookie_before_each_expiry_and_every_row_arrives_once_across_the_renewals() throws Exception {
        openClient("tess", 10, false); // token-expiring 5 s before exp, a renewal within 2.5 s of it
        browser.await(WAIT, "the client live", d -> states().contains("live"));
        List<String> inserted = new ArrayList<>();
        try (Connection sql = server.sql();
                PreparedStatement insert = sql.prepareStatement("INSERT INTO notifications (recipient, title) VALUES ('tess', ?)")) {
            // Rows keep coming for three token lives: across at least two renewals and reconnects.
            long until = System.nanoTime() + Duration.ofSeconds(24).toNanos();
            for (int i = 0; System.nanoTime() < until; i++) {
                String title = "row " + i;
                insert.setString(1, title);
                insert.executeUpdate();
                inserted.add(title);
                Thread.sleep(200);
            }
        }
        browser.await(WAIT, "every row on the page", d -> seen().size() >= inserted.size());
        assertEquals(inserted, seen(), "every row once, in order");
        assertTrue(tokensGiven() >= 3, "getToken renewed the sign-in: " + tokensGiven() + " tokens");
        assertFalse(states().contains("unauthenticated"), "never signed out: " + states());
        // Renewed on token-expiring, before exp: no stream was ended by its token's expiry.
        assertFalse(states().contains("reconnecting"), "a stream outlived its token's renewal: " + states());
        assertEquals("live", states().getLast());
    }

    @Test
    void a_page_back_from_the_back_forward_cache_reconnects_at_once_and_loses_nothing() throws Exception {
        openClient("vera", 300, false);
        browser.await(WAIT, "the client live", d -> states().contains("live"));
        server.execute("INSERT INTO notifications (recipient, title) VALUES ('vera', 'before the cache')");
        browser.await(WAIT, "the first row", d -> seen().contains("before the cache"));
        long lives = states().stream().filter("live"::equals).count();
        // What the browser fires when it shows the page again from the back/forward cache.
        browser.script("window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))");
        server.execute("INSERT INTO notifications (recipient, title) VALUES ('vera', 'while coming back')");
        browser.await(WAIT, "a new stream, caught up", d -> states().stream().filter("live"::equals).count() > lives);
        browser.await(WAIT, "the second row", d -> seen().contains("while coming back"));
        assertEquals(List.of("before the cache", "while coming back"), seen());
        assertEquals(1, server.awaitActiveStreams(1, WAIT), "the old stream ended, the new one is open");
        assertFalse(states().contains("reconnecting"), "reconnected at once: " + states());
    }

    @Test
    void a_get_token_that_fails_is_reported_as_unauthenticated_never_hidden() {
        openClient("ugo", 60, true);
        browser.await(WAIT, "the client reports unauthenticated", d -> states().contains("unauthenticated"));
        assertFalse(states().contains("live"), "no stream without a token: " + states());
    }
}
