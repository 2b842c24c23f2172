package dev.notificationstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.launch.TomcatDistribution;
import dev.notificationstream.support.TestDatabase;
import dev.notificationstream.support.Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.catalina.realm.SecretKeyCredentialHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The production realm of tomcat-conf/server.xml on the Tomcat 11 distribution, without the demo
 * users: users from the tables of tomcat-conf/realm.sql, PBKDF2 passwords, lock-out after 5 failures.
 * Token sign-in is on (AUTH_TOKEN_SECRET), as a team that adds it to a realm it has would run: the
 * realm's BASIC logins then go through the application's module, and tokens sign in beside them.
 */
class RealmIT {

    private static final String TOKEN_SECRET = "the-realm-tests-token-secret-of-32-bytes-or-more";
    private static TomcatDistribution tomcat;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        String databaseUrl = TestDatabase.create();
        try (Connection sql = TestDatabase.connect(databaseUrl); Statement ddl = sql.createStatement()) {
            ddl.execute(Files.readString(Path.of("tomcat-conf/realm.sql")));
            // The hash digest.sh makes with the parameters of server.xml's CredentialHandler.
            SecretKeyCredentialHandler hasher = new SecretKeyCredentialHandler();
            hasher.setAlgorithm("PBKDF2WithHmacSHA256");
            hasher.setIterations(20000);
            hasher.setSaltLength(16);
            hasher.setKeyLength(256);
            for (String user : new String[] {"carol", "dave"}) {
                try (PreparedStatement insert = sql.prepareStatement("INSERT INTO realm.users VALUES (?, ?)")) {
                    insert.setString(1, user);
                    insert.setString(2, hasher.mutate(user + "-secret"));
                    insert.execute();
                }
                ddl.execute("INSERT INTO realm.user_roles VALUES ('" + user + "', 'user')");
            }
        }
        Path base = TomcatDistribution.prepare(Path.of("target/it-realm"), false);
        tomcat = TomcatDistribution.start(base, TomcatDistribution.freePort(), Map.of(
                "DATABASE_URL", databaseUrl,
                "USERS_DATABASE_URL", databaseUrl,
                "USERS_DATABASE_USER", "postgres",
                "AUTH_TOKEN_SECRET", TOKEN_SECRET), base.resolve("logs/console.log"));
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        if (tomcat != null) {
            tomcat.close();
        }
        if (http != null) {
            http.close();
        }
    }

    @Test
    void a_user_from_the_realm_tables_signs_in_and_the_demo_users_do_not_exist() throws Exception {
        assertEquals(200, poll("carol", "carol-secret"));
        assertEquals(401, poll("carol", "wrong"));
        assertEquals(401, poll("alice", "alice-password"), "demo users only in the local run");
    }

    @Test
    void five_bad_passwords_lock_the_user_out_even_for_the_right_one() throws Exception {
        assertEquals(200, poll("dave", "dave-secret"));
        for (int i = 0; i < 5; i++) {
            assertEquals(401, poll("dave", "guess " + i));
        }
        assertEquals(401, poll("dave", "dave-secret"), "locked out for lockOutTime (300 s)");
        assertEquals(200, poll("carol", "carol-secret"), "only dave");
    }

    @Test
    void a_token_signs_in_on_the_distribution_beside_the_realm_with_the_roles_of_its_claim() throws Exception {
        String erin = Tokens.hs256(TOKEN_SECRET, Tokens.claims("erin", List.of(), Duration.ofMinutes(5)).build());
        assertEquals(200, request("/api/notifications", "Bearer " + erin));
        assertEquals(403, request("/metrics", "Bearer " + erin));
        String scraper = Tokens.hs256(TOKEN_SECRET, Tokens.claims("scraper", List.of("metrics"), Duration.ofMinutes(5)).build());
        assertEquals(200, request("/metrics", "Bearer " + scraper));
        assertEquals(401, request("/api/notifications", "Bearer " + erin.substring(0, erin.length() - 2)));
    }

    private static int poll(String user, String password) throws Exception {
        String credentials = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return request("/api/notifications", "Basic " + credentials);
    }

    private static int request(String path, String authorization) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(tomcat.url() + path)).header("Authorization", authorization).build();
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
