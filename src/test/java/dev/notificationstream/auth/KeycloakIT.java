package dev.notificationstream.auth;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jwt.SignedJWT;
import dev.notificationstream.support.Keycloak;
import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import dev.notificationstream.support.Tokens;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tokens from a real Keycloak 26 sign streams and polls in, with the realm's roles, across a key rotation. */
class KeycloakIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final Keycloak keycloak = new Keycloak();

    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        // The settings README's Keycloak section gives.
        server = TestServer.start(
                "AUTH_JWKS_URL", keycloak.jwksUrl(),
                "AUTH_TOKEN_ISSUER", keycloak.issuer(),
                "AUTH_TOKEN_AUDIENCE", "notification-stream",
                "AUTH_USER_CLAIM", "preferred_username",
                "AUTH_ROLES_CLAIM", "realm_access.roles");
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    private static List<String> polled(String token) {
        return given().header("Authorization", Tokens.bearer(token)).queryParam("limit", 500)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(200).extract().jsonPath().getList("notifications.title", String.class);
    }

    @Test
    void a_keycloak_token_signs_a_stream_and_a_poll_in_and_role_rows_reach_the_roles_members_only() throws Exception {
        server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('auditors', 'audit starts')");
        String kate = keycloak.token("notification-stream", "kate", "kate-password");
        String leo = keycloak.token("notification-stream", "leo", "leo-password");
        try (SseClient kates = SseClient.openWithHeaders(server.url(), "/events", "Cookie", "ns_token=" + kate);
                SseClient leos = SseClient.openWithHeaders(server.url(), "/events", "Authorization", Tokens.bearer(leo))) {
            assertEquals(200, kates.status());
            assertEquals(200, leos.status());
            kates.awaitCursor(WAIT);
            leos.awaitCursor(WAIT);
            server.execute("INSERT INTO notifications (recipient_role, title) VALUES ('auditors', 'audit report')");
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('leo', 'for leo')");
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('kate', 'for kate')");
            assertEquals(List.of("audit report", "for kate"), kates.notifications(2, WAIT).stream().map(n -> n.get("title").asText()).toList());
            assertEquals(List.of("for leo"), leos.notifications(1, WAIT).stream().map(n -> n.get("title").asText()).toList());
        }
        assertEquals(List.of("audit starts", "audit report", "for kate"), polled(kate));
        // leo's (other tests add rows for leo too): never a row of kate's or of a role he lacks.
        List<String> leos = polled(leo);
        assertEquals(true, leos.contains("for leo"), leos.toString());
        assertEquals(List.of(), leos.stream().filter(t -> t.contains("audit") || t.contains("kate")).toList());
    }

    @Test
    void es256_and_eddsa_tokens_of_the_realm_are_accepted_too() throws Exception {
        server.execute("INSERT INTO notifications (recipient, title) VALUES ('leo', 'for leo by any key')");
        for (String client : List.of("ns-es256", "ns-eddsa")) {
            String token = keycloak.token(client, "leo", "leo-password");
            String alg = SignedJWT.parse(token).getHeader().getAlgorithm().getName();
            assertEquals(client.equals("ns-es256") ? "ES256" : "EdDSA", alg, client);
            assertEquals(true, polled(token).contains("for leo by any key"), client);
        }
    }

    @Test
    void a_key_rotation_in_keycloak_is_picked_up_without_a_restart() throws Exception {
        String before = keycloak.token("notification-stream", "leo", "leo-password");
        polled(before); // the server has read the JWKS
        keycloak.rotateRsaKey();
        String after = keycloak.token("notification-stream", "leo", "leo-password");
        assertNotEquals(SignedJWT.parse(before).getHeader().getKeyID(), SignedJWT.parse(after).getHeader().getKeyID(),
                "Keycloak signs with the new key");
        polled(after); // an unknown kid: the JWKS is read again
        polled(before); // the old key is still published
    }

    @Test
    void an_hs256_token_signed_with_the_realms_public_key_is_refused() throws Exception {
        JWKSet keys = JWKSet.load(URI.create(keycloak.jwksUrl()).toURL());
        byte[] publicKey = keys.getKeys().stream().filter(k -> k.getKeyType() == KeyType.RSA).findFirst().orElseThrow()
                .toRSAKey().toPublicKey().getEncoded();
        SignedJWT real = SignedJWT.parse(keycloak.token("notification-stream", "kate", "kate-password"));
        String confused = Tokens.sign(new MACSigner(publicKey), new JWSHeader.Builder(JWSAlgorithm.HS256)
                .keyID(real.getHeader().getKeyID()).build(), real.getJWTClaimsSet());
        assertEquals("invalid_token", given().header("Authorization", Tokens.bearer(confused))
                .when().get(server.url() + "/api/notifications").then().statusCode(401).extract().jsonPath().getString("error"));
    }

    @Test
    void a_token_of_another_realm_is_refused() throws Exception {
        // The master realm's keys are not in acme's JWKS, and its issuer is another.
        String other = given().formParam("grant_type", "password").formParam("client_id", "admin-cli")
                .formParam("username", "admin").formParam("password", "admin")
                .when().post(keycloak.url() + "/realms/master/protocol/openid-connect/token")
                .then().statusCode(200).extract().path("access_token");
        assertEquals("invalid_token", given().header("Authorization", Tokens.bearer(other))
                .when().get(server.url() + "/api/notifications").then().statusCode(401).extract().jsonPath().getString("error"));
    }
}
