package dev.notificationstream.auth;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.notificationstream.launch.TomcatDistribution;
import dev.notificationstream.support.TestServer;
import dev.notificationstream.support.Tokens;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A JWKS that cannot be read, with no keys cached, is the service's trouble, not the token's: 503, never 401 or 500. */
class KeysUnavailableTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass("AUTH_JWKS_URL", jwksNobodyServes());

    private static String jwksNobodyServes() {
        try {
            return "http://127.0.0.1:" + TomcatDistribution.freePort() + "/certs"; // free: nothing listens there
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void a_token_whose_keys_cannot_be_fetched_gets_503_with_retry_after_and_a_health_check_is_not_held_up() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("k1").generate();
        String token = Tokens.sign(new RSASSASigner(key), new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(),
                Tokens.claims("walt", List.of(), Duration.ofMinutes(5)).build());
        ExtractableResponse<Response> poll = given().header("Authorization", Tokens.bearer(token))
                .when().get(server.url() + "/api/notifications").then().statusCode(503).extract();
        assertEquals("auth_unavailable", poll.jsonPath().getString("error"));
        assertEquals("5", poll.header("Retry-After"));
        given().header("Cookie", "ns_token=" + token).when().get(server.url() + "/health").then().statusCode(200);
        // The HS256 secret every test server has still signs in meanwhile.
        given().header("Authorization", Tokens.bearer(Tokens.hs256(TestServer.TOKEN_SECRET,
                Tokens.claims("walt", List.of(), Duration.ofMinutes(5)).build()))).when().get(server.url() + "/api/notifications")
                .then().statusCode(200);
    }
}
