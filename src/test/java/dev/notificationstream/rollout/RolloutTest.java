package dev.notificationstream.rollout;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notificationstream.launch.EmbeddedTomcat;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestDatabase;
import dev.notificationstream.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.catalina.realm.MemoryRealm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rollout share set with SQL, on two instances of one database with 1,000 users (and a canary
 * in the role staff): who is in, how a change reaches both, what open streams and polls see.
 */
class RolloutTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> USERS = IntStream.range(0, 1_000).mapToObj(i -> "user" + i).toList();
    private static String databaseUrl;
    private static EmbeddedTomcat first;
    private static EmbeddedTomcat second;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        databaseUrl = TestDatabase.create();
        Path users = Files.createTempFile("rollout-users", ".xml");
        StringBuilder xml = new StringBuilder("<tomcat-users><role rolename=\"user\"/><role rolename=\"staff\"/>\n");
        for (String user : USERS) {
            xml.append("<user username=\"").append(user).append("\" password=\"").append(user).append("-password\" roles=\"user\"/>\n");
        }
        xml.append("<user username=\"alice\" password=\"alice-password\" roles=\"user\"/>\n");
        xml.append("<user username=\"bob\" password=\"bob-password\" roles=\"user\"/>\n");
        xml.append("<user username=\"staffer\" password=\"staffer-password\" roles=\"user,staff\"/>\n</tomcat-users>\n");
        Files.writeString(users, xml);
        Map<String, String> settings = new HashMap<>(Map.of("DATABASE_URL", databaseUrl, "SSE_HEARTBEAT_INTERVAL", "1",
                "FEED_SAFETY_INTERVAL", "2", "SSE_CANARY_ROLE", "staff", "POLL_MIN_INTERVAL", "1"));
        first = EmbeddedTomcat.start(0, settings, context -> context.setRealm(realm(users)));
        second = EmbeddedTomcat.start(0, settings, context -> context.setRealm(realm(users)));
        TestServer.awaitReady(first.url());
        TestServer.awaitReady(second.url());
        http = HttpClient.newHttpClient();
    }

    private static MemoryRealm realm(Path users) {
        MemoryRealm realm = new MemoryRealm();
        realm.setPathname(users.toString());
        return realm;
    }

    @AfterAll
    static void stop() throws Exception {
        http.close();
        second.close();
        first.close();
    }

    @BeforeEach
    void everyoneIn() throws Exception {
        setShare(100, "test start");
    }

    private static void sql(String statement) throws SQLException {
        try (Connection connection = TestDatabase.connect(databaseUrl); Statement sql = connection.createStatement()) {
            sql.execute(statement);
        }
    }

    /** Sets the share with SQL, as an operator does, and waits until both instances apply it. */
    private static void setShare(int percent, String reason) throws Exception {
        sql("SELECT notifications_set_sse_rollout(" + percent + ", '" + reason + "')");
        long set = System.nanoTime();
        for (EmbeddedTomcat instance : List.of(first, second)) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (config(instance, "alice").get("sseRolloutPercent").asInt() != percent) {
                assertTrue(System.nanoTime() < deadline, instance.url() + " did not apply " + percent);
                Thread.sleep(10);
            }
        }
        System.out.printf("rollout %d %%: on both instances %d ms after the SQL call%n", percent, (System.nanoTime() - set) / 1_000_000);
    }

    private static JsonNode config(EmbeddedTomcat instance, String user) throws Exception {
        return get(instance, "/api/config", user);
    }

    private static JsonNode get(EmbeddedTomcat instance, String path, String user) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(instance.url() + path))
                .header("Authorization", SseClient.basic(user)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static Set<String> usersIn(EmbeddedTomcat instance) throws Exception {
        Set<String> in = new TreeSet<>();
        for (String user : USERS) {
            if (config(instance, user).get("sseEnabled").asBoolean()) {
                in.add(user);
            }
        }
        return in;
    }

    @Test
    void a_thousand_users_split_within_three_points_of_the_share_the_same_on_both_instances() throws Exception {
        setShare(10, "canary");
        Set<String> tenOnFirst = usersIn(first);
        assertEquals(tenOnFirst, usersIn(second), "both instances let the same users in");
        assertTrue(Math.abs(tenOnFirst.size() / 10.0 - 10) <= 3, tenOnFirst.size() + " of 1,000 users at 10 %");

        setShare(50, "half");
        Set<String> fiftyOnFirst = usersIn(first);
        assertEquals(fiftyOnFirst, usersIn(second));
        assertTrue(Math.abs(fiftyOnFirst.size() / 10.0 - 50) <= 3, fiftyOnFirst.size() + " of 1,000 users at 50 %");
        assertTrue(fiftyOnFirst.containsAll(tenOnFirst), "raising the share only adds users");

        setShare(10, "back to the canary");
        assertEquals(tenOnFirst, usersIn(first), "lowering it only removes them, and the same ones come back");
        System.out.printf("split: %d users at 10 %%, %d at 50 %%%n", tenOnFirst.size(), fiftyOnFirst.size());
    }

    @Test
    void the_canary_role_is_in_while_the_share_is_above_zero() throws Exception {
        String outsider = USERS.stream().filter(user -> Rollout.bucket("sse", user) >= 1).findFirst().orElseThrow();
        setShare(1, "canaries only");
        assertTrue(config(first, "staffer").get("sseEnabled").asBoolean(), "staff is in at 1 %");
        assertEquals(false, config(first, outsider).get("sseEnabled").asBoolean());
        setShare(0, "everyone off");
        assertEquals(false, config(first, "staffer").get("sseEnabled").asBoolean(), "0 % is off for canaries too");
        given().header("Authorization", SseClient.basic("staffer")).when().get(second.url() + "/events")
                .then().statusCode(503).body("error", equalTo("sse_disabled")).body("sseRolloutPercent", equalTo(0));
    }

    @Test
    void every_change_is_kept_in_the_history_with_its_reason_who_and_when() throws Exception {
        setShare(25, "a quarter, ticket OPS-1");
        try (Connection connection = TestDatabase.connect(databaseUrl); Statement sql = connection.createStatement();
                ResultSet last = sql.executeQuery("SELECT setting, value, reason, changed_by = current_user, changed_at > now() - interval '1 minute'"
                        + " FROM notification_settings_history ORDER BY id DESC LIMIT 1")) {
            assertTrue(last.next());
            assertEquals("sse_rollout_percent", last.getString(1));
            assertEquals(25, last.getInt(2));
            assertEquals("a quarter, ticket OPS-1", last.getString(3));
            assertTrue(last.getBoolean(4), "who: the database user that made the call");
            assertTrue(last.getBoolean(5), "when");
        }
        SQLException refused = assertThrows(SQLException.class, () -> sql("SELECT notifications_set_sse_rollout(101)"));
        assertEquals("22023", refused.getSQLState(), refused.getMessage());
        assertEquals(25, config(first, "alice").get("sseRolloutPercent").asInt(), "a refused value changes nothing");
    }

    @Test
    void a_stream_whose_user_falls_out_is_told_and_ended_polling_from_its_cursor_loses_nothing_and_repeats_nothing() throws Exception {
        // A share between the two users' buckets: alice in, bob out.
        int alice = Rollout.bucket("sse", "alice");
        int bob = Rollout.bucket("sse", "bob");
        assertNotEquals(alice, bob, "the test needs two users in different buckets");
        String in = alice < bob ? "alice" : "bob";
        String out = alice < bob ? "bob" : "alice";
        int share = Math.max(alice, bob); // the higher bucket is just out, the lower in

        try (SseClient leaving = SseClient.open(second.url(), "/events", out, null);
                SseClient staying = SseClient.open(first.url(), "/events", in, null)) {
            leaving.awaitCursor(WAIT);
            staying.awaitCursor(WAIT);
            sql("INSERT INTO notifications (title) VALUES ('before the change')");
            assertEquals("before the change", leaving.notifications(1, WAIT).getFirst().get("title").asText());
            staying.notifications(1, WAIT);

            setShare(share, "take " + out + " out");
            SseClient.Event told = next(leaving, "config");
            assertEquals(false, told.json().get("sseEnabled").asBoolean());
            assertEquals(share, told.json().get("sseRolloutPercent").asInt());
            assertEquals("closed", leaving.next(WAIT).type(), "the server ends the stream after the config event");
            String cursor = leaving.lastEventId();

            sql("INSERT INTO notifications (title) VALUES ('after the change')");
            assertEquals("after the change", staying.notifications(1, WAIT).getFirst().get("title").asText(), "the user still in keeps streaming");

            JsonNode poll = get(second, "/api/notifications?cursor=" + cursor, out);
            assertEquals(List.of("after the change"), titles(poll), "polling from the stream's cursor: the missed row, once");
            assertEquals(false, poll.get("sseEnabled").asBoolean());
            given().header("Authorization", SseClient.basic(out)).when().get(first.url() + "/events")
                    .then().statusCode(503).body("error", equalTo("sse_disabled"));

            setShare(100, "everyone back");
            JsonNode back = get(first, "/api/notifications?cursor=" + poll.get("cursor").asText(), out);
            assertEquals(true, back.get("sseEnabled").asBoolean(), "the next poll says SSE is on for them again");
            assertEquals(List.of(), titles(back));
            try (SseClient again = SseClient.open(first.url(), "/events?cursor=" + back.get("cursor").asText(), out, null)) {
                again.awaitCursor(WAIT);
                sql("INSERT INTO notifications (title) VALUES ('streamed again')");
                assertEquals("streamed again", again.notifications(1, WAIT).getFirst().get("title").asText());
            }
        }
    }

    /** The next event of {@code type}, skipping heartbeats; fails when the stream ends or none comes in time. */
    private static SseClient.Event next(SseClient client, String type) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> skipped = new java.util.ArrayList<>();
        for (SseClient.Event event; (event = client.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) != null; ) {
            if (event.type().equals(type)) {
                return event;
            }
            skipped.add(event.type());
            assertNotEquals("closed", event.type(), "the stream ended before a " + type + " event: " + skipped);
        }
        throw new AssertionError("no " + type + " event, only " + skipped);
    }

    private static List<String> titles(JsonNode poll) {
        return java.util.stream.StreamSupport.stream(poll.get("notifications").spliterator(), false)
                .map(n -> n.get("title").asText()).collect(Collectors.toList());
    }

    @Test
    void without_a_share_in_the_database_sse_rollout_percent_applies() throws Exception {
        String url = TestDatabase.create();
        try (TestServer fresh = TestServer.startOn(url, "SSE_ROLLOUT_PERCENT", "0")) {
            given().header("Authorization", SseClient.basic("alice")).when().get(fresh.url() + "/api/config")
                    .then().statusCode(200).body("sseEnabled", equalTo(false)).body("sseRolloutPercent", equalTo(0));
            fresh.execute("SELECT notifications_set_sse_rollout(100)");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!given().header("Authorization", SseClient.basic("alice")).when().get(fresh.url() + "/api/config")
                    .then().extract().<Boolean>path("sseEnabled")) {
                assertTrue(System.nanoTime() < deadline, "the database's share replaces the setting's");
                Thread.sleep(10);
            }
        }
    }
}
