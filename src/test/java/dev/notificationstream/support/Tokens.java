package dev.notificationstream.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/** Tokens as a team's own application would mint them, for the tests (nimbus-jose-jwt signs). */
public final class Tokens {

    private Tokens() {}

    /** A token's usual claims: the user, roles, issued now, expiring after {@code life}. */
    public static JWTClaimsSet.Builder claims(String user, List<String> roles, Duration life) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().subject(user).claim("roles", roles)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(life)));
    }

    public static String hs256(String secret, JWTClaimsSet claims) {
        try {
            return sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), new JWSHeader(JWSAlgorithm.HS256), claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sign(JWSSigner signer, JWSHeader header, JWTClaimsSet claims) {
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    public static String bearer(String token) {
        return "Bearer " + token;
    }
}
