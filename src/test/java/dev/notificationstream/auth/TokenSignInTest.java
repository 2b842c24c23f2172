package dev.notificationstream.auth;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import dev.notificationstream.support.Tokens;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** HS256 tokens sign streams, polls and publishes in, beside BASIC; every kind of bad token is a 401 that says why. */
class TokenSignInTest {

    private static final String SECRET = "a-test-secret-of-at-least-32-bytes-length";
    private static final String ISSUER = "https://app.example.test";
    private static final String AUDIENCE = "notification-stream";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final TestServer server = TestServer.forClass(
            "AUTH_TOKEN_SECRET", SECRET, "AUTH_TOKEN_ISSUER", ISSUER, "AUTH_TOKEN_AUDIENCE", AUDIENCE,
            "CORS_ALLOWED_ORIGINS", "https://app.example.test");

    private static final Logger MODULE_LOG = Logger.getLogger(TokenAuthModule.class.getName());
    private static final List<String> logged = Collections.synchronizedList(new ArrayList<>());
    private static final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeAll
    static void captureLog() {
        MODULE_LOG.setLevel(Level.INFO);
        MODULE_LOG.addHandler(capture);
    }

    @AfterAll
    static void releaseLog() {
        MODULE_LOG.removeHandler(capture);
    }

    private static JWTClaimsSet.Builder claims(String user, String... roles) {
        return Tokens.claims(user, List.of(roles), Duration.ofMinutes(5)).issuer(ISSUER).audience(AUDIENCE);
    }

    private static String token(String user, String... roles) {
        return Tokens.hs256(SECRET, claims(user, roles).build());
    }

    private static List<String> polledTitles(String authorizationHeader) {
        return given().header("Authorization", authorizationHeader).queryParam("limit", 500)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).extract().jsonPath().getList("notifications.title", String.class);
    }

    @Test
    void a_token_signs_a_poll_in_as_its_user_and_a_token_for_bob_never_shows_alices_rows() throws Exception {
        server.execute("INSERT INTO notifications (recipient, title) VALUES ('tina', 'for tina'), ('tom', 'for tom')");
        assertEquals(List.of("for tina"), polledTitles(Tokens.bearer(token("tina"))));
        assertEquals(List.of("for tom"), polledTitles(Tokens.bearer(token("tom"))));
    }

    @Test
    void a_token_signs_a_stream_in_by_header_and_by_cookie_and_its_roles_claim_decides_role_rows() throws Exception {
        server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('auditors', 'before the streams')");
        try (SseClient byHeader = SseClient.openWithHeaders(server.url(), "/events", "Authorization", Tokens.bearer(token("uma", "auditors")));
                SseClient byCookie = SseClient.openWithHeaders(server.url(), "/events", "Cookie", "ns_token=" + token("ulf"))) {
            assertEquals(200, byHeader.status());
            assertEquals(200, byCookie.status());
            byHeader.awaitCursor(WAIT);
            byCookie.awaitCursor(WAIT);
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('ulf', 'for ulf')");
            server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('auditors', 'for auditors')");
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('uma', 'for uma')");
            List<String> uma = new ArrayList<>();
            byHeader.notifications(2, WAIT).forEach(n -> uma.add(n.get("title").asText()));
            assertTrue(uma.contains("for uma"), "uma's own row: " + uma);
            assertFalse(uma.contains("for ulf"));
            assertEquals("for ulf", byCookie.notifications(1, WAIT).get(0).get("title").asText());
        }
        assertEquals(List.of("before the streams", "for auditors", "for uma"), polledTitles(Tokens.bearer(token("uma", "auditors"))));
        assertEquals(List.of("for ulf"), polledTitles(Tokens.bearer(token("ulf"))));
    }

    @Test
    void the_roles_claim_is_what_web_xml_and_isUserInRole_see() {
        String body = "{\"recipient\":\"vic\",\"title\":\"published with a token\"}";
        given().header("Authorization", Tokens.bearer(token("pub", "notifier"))).contentType("application/json").body(body)
                .when().post(server.url() + "/api/notifications").then().statusCode(201);
        given().header("Authorization", Tokens.bearer(token("pub"))).contentType("application/json").body(body)
                .when().post(server.url() + "/api/notifications").then().statusCode(403);
        given().header("Authorization", Tokens.bearer(token("scraper", "metrics"))).when().get(server.url() + "/metrics").then().statusCode(200);
        given().header("Authorization", Tokens.bearer(token("scraper"))).when().get(server.url() + "/metrics").then().statusCode(403);
    }

    @Test
    void a_stream_hears_token_expiring_then_ends_at_exp_and_resumes_losing_nothing_with_a_fresh_token() throws Exception {
        Instant exp = Instant.now().plusSeconds(4).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        String shortLived = Tokens.hs256(SECRET, claims("kim").expirationTime(Date.from(exp)).build());
        try (SseClient stream = SseClient.openWithHeaders(server.url(), "/events", "Cookie", "ns_token=" + shortLived)) {
            assertEquals(200, stream.status());
            stream.awaitCursor(WAIT);
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('kim', 'before expiry')");
            List<String> seen = new ArrayList<>();
            SseClient.Event event;
            Instant deadline = exp.plusSeconds(10); // heartbeats come every second: bound the wait for the end
            while ((event = stream.next(WAIT)) != null && !event.type().equals("closed") && Instant.now().isBefore(deadline)) {
                seen.add(event.type());
                if (event.type().equals("token-expiring")) {
                    assertEquals(exp.getEpochSecond(), event.json().get("exp").asLong());
                }
            }
            assertTrue(event != null && event.type().equals("closed"), "the stream ended");
            // Ends at exp (one scheduler task), well before the skew would have let the token through.
            assertTrue(Instant.now().isBefore(exp.plusSeconds(5)), "ended by " + Instant.now() + ", exp " + exp);
            assertTrue(seen.contains("notification") && seen.indexOf("token-expiring") >= 0, "events: " + seen);
            // A row committed while the client renews its token reaches it on the resumed stream.
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('kim', 'while renewing')");
            // The old token is past exp (within the skew): a stream is refused, so the client renews.
            given().header("Cookie", "ns_token=" + shortLived).when().get(server.url() + "/events").then().statusCode(401);
            try (SseClient resumed = SseClient.openWithHeaders(server.url(), "/events", "Cookie", "ns_token=" + token("kim"),
                    "Last-Event-ID", stream.lastEventId())) {
                assertEquals(List.of("while renewing"), resumed.notifications(1, WAIT).stream().map(n -> n.get("title").asText()).toList());
            }
        }
    }

    @Test
    void container_sign_in_works_beside_tokens_and_no_credentials_get_the_basic_challenge_as_before() {
        given().header("Authorization", SseClient.basic("alice")).when().get(server.url() + "/api/notifications").then().statusCode(200);
        given().auth().preemptive().basic("alice", "wrong").when().get(server.url() + "/api/notifications").then().statusCode(401);
        ExtractableResponse<Response> none = given().when().get(server.url() + "/api/notifications").then().statusCode(401).extract();
        assertEquals(List.of("Basic realm=\"notification-stream\""), none.headers().getValues("WWW-Authenticate"));
        assertEquals("unauthenticated", none.jsonPath().getString("error"));
    }

    @Test
    void a_token_in_a_query_parameter_signs_nothing_in() {
        given().queryParam("access_token", token("quinn")).when().get(server.url() + "/api/notifications").then().statusCode(401);
    }

    /** The 401 a bad token gets: RFC 6750's header, our JSON, and a log line with the reason but not the token. */
    private static void refused(String token, String error, String reason) {
        logged.clear();
        ExtractableResponse<Response> answer = given().header("Authorization", Tokens.bearer(token))
                .when().get(server.url() + "/api/notifications").then().statusCode(401).extract();
        assertEquals(error, answer.jsonPath().getString("error"), reason);
        assertTrue(answer.header("WWW-Authenticate").startsWith("Bearer realm=\"notification-stream\", error=\"invalid_token\""),
                answer.header("WWW-Authenticate"));
        String line = String.join("\n", logged);
        assertTrue(line.contains("token refused") && line.contains("reason=") && line.contains(reason), reason + " in the log: " + line);
        assertFalse(line.contains(token), "the log holds the token");
    }

    @Test
    void every_kind_of_bad_token_is_a_401_that_says_why() throws Exception {
        Instant now = Instant.now();
        refused(Tokens.hs256(SECRET, claims("xena").expirationTime(Date.from(now.minusSeconds(60))).build()), "token_expired", "expired");
        refused(Tokens.hs256(SECRET, claims("xena").notBeforeTime(Date.from(now.plusSeconds(120))).build()), "invalid_token", "before use time");
        refused(Tokens.hs256(SECRET, claims("xena").issueTime(Date.from(now.plusSeconds(120))).build()), "invalid_token", "issued in the future");
        refused(Tokens.hs256("another-secret-of-at-least-32-bytes-long", claims("xena").build()), "invalid_token", "bad signature");
        refused(Tokens.hs256(SECRET, claims("xena").issuer("https://evil.example.test").build()), "invalid_token", "iss");
        refused(Tokens.hs256(SECRET, claims("xena").audience("another-service").build()), "invalid_token", "aud");
        refused(Tokens.hs256(SECRET, claims("xena").expirationTime(null).build()), "invalid_token", "missing required claims");
        refused(new PlainJWT(claims("xena").build()).serialize(), "invalid_token", "alg none");
        refused("not.a.token", "invalid_token", "malformed");
        refused("x".repeat(7000), "invalid_token", "oversized");
        refused(Tokens.hs256(SECRET, claims("xena").subject(null).build()), "invalid_token", "no user");
        // A token signed with an RSA key where only the HS256 secret is configured finds no key.
        refused(Tokens.sign(new RSASSASigner(new RSAKeyGenerator(2048).generate()), new JWSHeader(JWSAlgorithm.RS256), claims("xena").build()),
                "invalid_token", "no key for alg RS256");
        // HS512 with the right secret is still not the algorithm configured.
        refused(Tokens.sign(new MACSigner((SECRET + SECRET).getBytes(StandardCharsets.UTF_8)), new JWSHeader(JWSAlgorithm.HS512), claims("xena").build()),
                "invalid_token", "no key for alg HS512");
        // Within the clock skew (30 s) an expired token still works.
        given().header("Authorization", Tokens.bearer(Tokens.hs256(SECRET, claims("yuri").expirationTime(Date.from(now.minusSeconds(5))).build())))
                .when().get(server.url() + "/api/notifications").then().statusCode(200);
        // A token typed as something else than a JWT (say an ID token of another kind) is refused.
        refused(Tokens.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)),
                new JWSHeader.Builder(JWSAlgorithm.HS256).type(new JOSEObjectType("logout+jwt")).build(), claims("xena").build()),
                "invalid_token", "typ");
    }

    @Test
    void a_bad_cookie_is_refused_on_a_stream_but_ignored_where_no_sign_in_is_needed() {
        String expired = Tokens.hs256(SECRET, claims("zoe").expirationTime(Date.from(Instant.now().minusSeconds(300))).build());
        ExtractableResponse<Response> stream = given().header("Cookie", "ns_token=" + expired)
                .when().get(server.url() + "/events").then().statusCode(401).extract();
        assertEquals("token_expired", stream.jsonPath().getString("error"));
        given().header("Cookie", "ns_token=" + expired).when().get(server.url() + "/health").then().statusCode(200);
        given().header("Cookie", "ns_token=" + expired).when().delete(server.url() + "/api/session").then().statusCode(204);
    }

    @Test
    void a_page_on_a_listed_origin_signs_its_event_source_in_with_one_call() {
        // The browser's preflight for a POST with an Authorization header, then the POST itself.
        ExtractableResponse<Response> preflight = given().header("Origin", "https://app.example.test")
                .header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "authorization")
                .when().options(server.url() + "/api/session").then().statusCode(204).extract();
        assertEquals("https://app.example.test", preflight.header("Access-Control-Allow-Origin"));
        assertEquals("true", preflight.header("Access-Control-Allow-Credentials"));
        assertTrue(preflight.header("Access-Control-Allow-Headers").contains("Authorization"), preflight.header("Access-Control-Allow-Headers"));
        ExtractableResponse<Response> session = given().header("Origin", "https://app.example.test")
                .header("Authorization", Tokens.bearer(token("olga")))
                .when().post(server.url() + "/api/session").then().statusCode(200).extract();
        assertEquals("https://app.example.test", session.header("Access-Control-Allow-Origin"));
        assertTrue(session.header("Set-Cookie").startsWith("ns_token="), session.header("Set-Cookie"));
        // A page on an origin not listed gets no cookie.
        given().header("Origin", "https://evil.example.test").header("Sec-Fetch-Site", "cross-site")
                .header("Authorization", Tokens.bearer(token("olga")))
                .when().post(server.url() + "/api/session").then().statusCode(403);
    }

    @Test
    void post_api_session_turns_the_bearer_token_into_the_cookie_and_delete_removes_it() {
        String token = token("sam");
        ExtractableResponse<Response> session = given().header("Authorization", Tokens.bearer(token))
                .when().post(server.url() + "/api/session").then().statusCode(200).extract();
        assertEquals("sam", session.jsonPath().getString("user"));
        String cookie = session.header("Set-Cookie");
        assertTrue(cookie.startsWith("ns_token=" + token + ";"), cookie);
        assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), cookie);
        assertFalse(cookie.contains("Secure"), "plain localhost: no Secure flag " + cookie);
        int maxAge = Integer.parseInt(cookie.replaceAll(".*Max-Age=(\\d+).*", "$1"));
        assertTrue(maxAge > 280 && maxAge <= 300, cookie);
        // Behind TLS (or anywhere but plain localhost) the cookie is Secure.
        String secure = given().header("Authorization", Tokens.bearer(token)).header("Host", "notify.example.test")
                .when().post(server.url() + "/api/session").then().statusCode(200).extract().header("Set-Cookie");
        assertTrue(secure.contains("Secure"), secure);
        // The cookie signs a poll in.
        given().header("Cookie", "ns_token=" + token).when().get(server.url() + "/api/notifications").then().statusCode(200);
        // BASIC has no token to turn into a cookie.
        given().header("Authorization", SseClient.basic("alice")).when().post(server.url() + "/api/session")
                .then().statusCode(400).extract().jsonPath().getString("error").equals("bearer_required");
        String removed = given().when().delete(server.url() + "/api/session").then().statusCode(204).extract().header("Set-Cookie");
        assertTrue(removed.startsWith("ns_token=;") && removed.contains("Expires=Thu, 01 Jan 1970"), removed);
        // BASIC credentials cannot be ended by a server: DELETE says so.
        assertEquals("basic_sign_in", given().header("Authorization", SseClient.basic("alice")).when().delete(server.url() + "/api/session")
                .then().statusCode(409).extract().jsonPath().getString("error"));
    }
}
