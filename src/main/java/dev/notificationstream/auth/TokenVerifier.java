package dev.notificationstream.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import dev.notificationstream.config.TokenSettings;
import java.io.Closeable;
import java.io.IOException;
import java.security.Key;
import java.security.PublicKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;

/**
 * Checks a token and says who it signs in, with nimbus-jose-jwt doing all parsing and signature
 * work. Each algorithm has one source of keys: HS256 the shared secret, RS256/ES256/EdDSA the JWKS;
 * so an HS256 token "signed" with a public key from the JWKS (algorithm confusion) finds no key,
 * and {@code alg: none} is refused before any key is looked at.
 */
public final class TokenVerifier implements AutoCloseable {

    /** Longer than any real token (Keycloak's with many roles are ~2 KiB), shorter than the 8 KiB header limit. */
    static final int MAX_LENGTH = 6_000;

    private static final Set<JWSAlgorithm> PUBLIC_KEY_ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);

    /** Why a token was refused: {@code error} for the client (RFC 6750), {@code reason} for the log. */
    public static final class Rejected extends Exception {
        public final String error;
        /** The token's user when its signature was good (an expired token), else null. */
        public final String user;

        Rejected(String error, String reason, String user) {
            super(reason, null, false, false);
            this.error = error;
            this.user = user;
        }
    }

    /** The keys could not be had (the JWKS endpoint down and nothing cached): not the token's fault. */
    public static final class KeysUnavailable extends Exception {
        KeysUnavailable(String reason) {
            super(reason, null, false, false);
        }
    }

    private final TokenSettings settings;
    private final JWKSource<SecurityContext> jwks;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    public TokenVerifier(TokenSettings settings) {
        this.settings = settings;
        JWSKeySelector<SecurityContext> secret = settings.secret() == null ? null
                : new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(settings.secret()));
        jwks = settings.jwksUrl() == null ? null
                // Cached 5 min and refreshed 30 s before that, on a virtual thread (a platform thread
                // of nimbus's own would outlive an undeploy); fetched again when an unknown kid
                // arrives (at most twice per 30 s); retried once; the last keys kept for 50 min
                // while the endpoint is down.
                : JWKSourceBuilder.<SecurityContext>create(settings.jwksUrl())
                        .refreshAheadCache(JWKSourceBuilder.DEFAULT_REFRESH_AHEAD_TIME, null,
                                Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("jwks-refresh").factory()), true, null, false)
                        .retrying(true)
                        .outageTolerant(true)
                        .build();
        JWSKeySelector<SecurityContext> publicKeys = jwks == null ? null : new JWSVerificationKeySelector<>(PUBLIC_KEY_ALGORITHMS, jwks);
        processor.setJWSKeySelector((header, context) -> {
            JWSAlgorithm alg = header.getAlgorithm();
            if (JWSAlgorithm.HS256.equals(alg) && secret != null) {
                return secret.selectJWSKeys(header, context);
            }
            if (PUBLIC_KEY_ALGORITHMS.contains(alg) && publicKeys != null) {
                return publicKeys.selectJWSKeys(header, context);
            }
            if (JWSAlgorithm.EdDSA.equals(alg) && jwks != null) {
                return edwardsKeys(header, jwks);
            }
            return List.of();
        });
        processor.setJWSVerifierFactory(new DefaultJWSVerifierFactory() {
            @Override
            public JWSVerifier createJWSVerifier(JWSHeader header, Key key) throws JOSEException {
                return key instanceof EdwardsKey edwards ? new Ed25519Verifier(edwards.jwk) : super.createJWSVerifier(header, key);
            }
        });
        // RFC 9068 access tokens say "at+jwt"; most others "JWT" or nothing.
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
        JWTClaimsSet mustMatch = settings.issuer() == null ? null : new JWTClaimsSet.Builder().issuer(settings.issuer()).build();
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                settings.audience() == null ? null : Set.of(settings.audience()), mustMatch, Set.of("exp"), null) {
            @Override
            public void verify(JWTClaimsSet claimsSet, SecurityContext context) throws BadJWTException {
                super.verify(claimsSet, context); // exp and nbf, with the skew
                Date issued = claimsSet.getIssueTime();
                if (issued != null && issued.getTime() > currentTime().getTime() + getMaxClockSkew() * 1000L) {
                    throw new BadJWTException("JWT issued in the future (iat)");
                }
            }
        };
        claims.setMaxClockSkew(settings.clockSkewSeconds());
        processor.setJWTClaimsSetVerifier(claims);
    }

    /**
     * Nimbus verifies EdDSA with an OKP key, which has no {@link java.security.Key} form for its key
     * selectors: the JWKS's Ed25519 keys for this header travel wrapped, to the factory above.
     */
    private static List<Key> edwardsKeys(JWSHeader header, JWKSource<SecurityContext> jwks) throws KeySourceException {
        List<Key> keys = new ArrayList<>();
        for (JWK jwk : jwks.get(new JWKSelector(JWKMatcher.forJWSHeader(header)), null)) {
            if (jwk instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
                keys.add(new EdwardsKey(okp.toPublicJWK()));
            }
        }
        return keys;
    }

    private record EdwardsKey(OctetKeyPair jwk) implements PublicKey {
        @Override
        public String getAlgorithm() {
            return "Ed25519";
        }

        @Override
        public String getFormat() {
            return null;
        }

        @Override
        public byte[] getEncoded() {
            return null;
        }
    }

    /** The principal {@code token} signs in, or why not. */
    public TokenPrincipal verify(String token) throws Rejected, KeysUnavailable {
        if (token.length() > MAX_LENGTH) {
            throw new Rejected("invalid_token", "oversized (" + token.length() + " characters)", null);
        }
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException malformed) {
            throw new Rejected("invalid_token", "malformed", null);
        }
        if (jwt instanceof PlainJWT) {
            throw new Rejected("invalid_token", "unsigned (alg none)", null);
        }
        if (jwt instanceof EncryptedJWT) {
            throw new Rejected("invalid_token", "encrypted (JWE) tokens are not accepted", null);
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(jwt, null);
        } catch (ExpiredJWTException expired) {
            throw new Rejected("token_expired", "expired", userOf(jwt)); // its signature was checked first
        } catch (BadJWTException badClaims) {
            throw new Rejected("invalid_token", badClaims.getMessage(), userOf(jwt));
        } catch (BadJWSException badSignature) {
            throw new Rejected("invalid_token", "bad signature", null);
        } catch (BadJOSEException other) {
            throw new Rejected("invalid_token", "no key for alg " + jwt.getHeader().getAlgorithm()
                    + (keyId(jwt) == null ? "" : " kid " + keyId(jwt)) + " (" + other.getMessage() + ")", null);
        } catch (RateLimitReachedException refreshedLately) {
            // An unknown kid, and the JWKS was just fetched (at most twice per 30 s): not a key of the issuer's.
            throw new Rejected("invalid_token", "no key for kid " + keyId(jwt) + " (the JWKS was read moments ago)", null);
        } catch (KeySourceException keys) {
            throw new KeysUnavailable("the JWKS at " + settings.jwksUrl() + " could not be read: " + keys.getMessage());
        } catch (JOSEException failed) {
            throw new Rejected("invalid_token", failed.getMessage(), null);
        }
        String user = claimText(claims, settings.userClaim());
        if (user == null || user.isBlank()) {
            throw new Rejected("invalid_token", "no user in claim " + settings.userClaim(), null);
        }
        return new TokenPrincipal(user, roles(claims.getClaim(firstStep())), claims.getExpirationTime().toInstant());
    }

    private String userOf(JWT jwt) {
        try {
            return claimText(jwt.getJWTClaimsSet(), settings.userClaim());
        } catch (ParseException cannotHappen) {
            return null;
        }
    }

    private static String keyId(JWT jwt) {
        return jwt.getHeader() instanceof JWSHeader jws ? jws.getKeyID() : null;
    }

    private static String claimText(JWTClaimsSet claims, String name) {
        return claims.getClaim(name) instanceof String text ? text : null;
    }

    private String firstStep() {
        String path = settings.rolesClaim();
        return path.contains(".") ? path.substring(0, path.indexOf('.')) : path;
    }

    /** The roles at the dotted path (realm_access.roles): a list of strings, or one space-separated string. */
    private List<String> roles(Object top) {
        String[] steps = settings.rolesClaim().split("\\.");
        Object value = top;
        for (int i = 1; i < steps.length && value != null; i++) {
            value = value instanceof Map<?, ?> map ? map.get(steps[i]) : null;
        }
        List<String> roles = new ArrayList<>();
        if (value instanceof List<?> list) {
            list.forEach(role -> {
                if (role instanceof String text && !text.isBlank()) {
                    roles.add(text);
                }
            });
        } else if (value instanceof String text) {
            roles.addAll(List.of(text.strip().split("\\s+")));
            roles.removeIf(String::isEmpty);
        }
        return roles;
    }

    /** Stops the JWKS source's refreshes (on undeploy). */
    @Override
    public void close() throws IOException {
        if (jwks instanceof Closeable closeable) {
            closeable.close();
        }
    }
}
