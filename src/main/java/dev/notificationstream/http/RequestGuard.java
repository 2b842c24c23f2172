package dev.notificationstream.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a state-changing request must pass before its body is read: JSON only (a cross-site HTML
 * form cannot send it without a CORS preflight, which only listed origins pass), an Origin that is
 * ours or listed, and a bounded size; and a parser that takes RFC 8259 JSON only: valid UTF-8, one
 * value and nothing after it, each key once, no JSON bombs (deep nesting, huge numbers or strings).
 */
public final class RequestGuard {

    private static final int MAX_DEPTH = 32;
    private static final int MAX_DIGITS = 64;
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate (?:field|Object property) [\"']([^\"']*)[\"']");

    public static final class Refused extends Exception {
        public final int status;
        public final String error;

        Refused(int status, String error, String message) {
            super(message, null, false, false);
            this.status = status;
            this.error = error;
        }
    }

    private final int maxBytes;
    private final Origins origins;
    private final ObjectMapper strict;

    public RequestGuard(int maxBytes, Origins origins) {
        this.maxBytes = maxBytes;
        this.origins = origins;
        this.strict = JsonMapper.builder(JsonFactory.builder()
                        .streamReadConstraints(StreamReadConstraints.builder()
                                .maxNestingDepth(MAX_DEPTH)
                                .maxNumberLength(MAX_DIGITS)
                                .maxStringLength(maxBytes)
                                .maxDocumentLength(maxBytes)
                                .build())
                        .build())
                // One value, each key once: {"recipient":"ops","recipient":"bob"} must not mean bob.
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                // Numbers as written, as jsonb keeps them: a double would turn 1e999999 into "Infinity".
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build();
    }

    /** A state-changing request must come from our pages or a listed origin, whatever credentials it carries. */
    public void checkOrigin(HttpServletRequest request) throws Refused {
        if (!origins.mayCall(request) || "cross-site".equals(request.getHeader("Sec-Fetch-Site")) && !origins.isListed(request.getHeader("Origin"))) {
            throw new Refused(403, "forbidden_origin", "requests from this origin are not allowed (CORS_ALLOWED_ORIGINS)");
        }
    }

    public void checkJsonPost(HttpServletRequest request) throws Refused {
        checkOrigin(request);
        if (!isJson(request.getContentType())) {
            throw new Refused(415, "unsupported_media_type", "send the notification as application/json (UTF-8)");
        }
        if (request.getContentLengthLong() > maxBytes) {
            throw new Refused(413, "too_large", "the body must be at most " + maxBytes + " bytes");
        }
    }

    /**
     * The body of a JSON POST that passes every check and the user's {@code limiter}; null when it
     * did not, and then the refusal has been answered (and {@code onRateLimited} run for a 429).
     * One place for what publishing and client reports both need.
     */
    public JsonNode acceptJsonPost(HttpServletRequest request, HttpServletResponse response, RateLimiter limiter,
            Runnable onRateLimited, String tooOften) throws IOException {
        try {
            checkJsonPost(request);
            Params.allowOnly(request);
            long wait = limiter.tryAcquire(request.getRemoteUser());
            if (wait > 0) {
                onRateLimited.run();
                Json.refuse(response, 429, wait, "rate_limited", tooOften);
                return null;
            }
            return readJson(request);
        } catch (Refused refused) {
            Json.error(response, refused.status, refused.error, refused.getMessage());
        } catch (Params.BadRequest bad) {
            Json.error(response, 400, bad.error, bad.getMessage());
        }
        return null;
    }

    /** {@code application/json}, with no parameter but {@code charset=utf-8} (RFC 8259: JSON is UTF-8). */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String[] parts = contentType.split(";", -1);
        if (!parts[0].strip().equalsIgnoreCase("application/json")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].strip().toLowerCase(Locale.ROOT).replace("\"", "");
            if (!parameter.isEmpty() && !parameter.equals("charset=utf-8")) {
                return false;
            }
        }
        return true;
    }

    public JsonNode readJson(HttpServletRequest request) throws Refused, IOException {
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(maxBytes + 1); // a chunked body has no Content-Length to check first
        }
        if (body.length > maxBytes) {
            throw new Refused(413, "too_large", "the body must be at most " + maxBytes + " bytes");
        }
        String text;
        try {
            // newDecoder() reports what a lenient decoder would map or repair: overlong forms, encoded surrogates.
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException notUtf8) {
            throw new Refused(400, "invalid_json", "the body is not valid UTF-8");
        }
        if (text.isBlank()) {
            throw new Refused(400, "invalid_json", "the body is empty");
        }
        try {
            return strict.readTree(text);
        } catch (JsonProcessingException malformed) {
            throw new Refused(400, "invalid_json", "the body is not acceptable JSON: " + reason(malformed));
        }
    }

    /**
     * What was wrong, in our words: the parser's own name options and classes
     * ({@code StreamReadConstraints.getMaxNestingDepth()}, {@code JsonReadFeature...}) mean nothing to a client.
     */
    private static String reason(JsonProcessingException malformed) {
        String original = String.valueOf(malformed.getOriginalMessage());
        String where = malformed.getLocation() == null ? ""
                : " (line " + malformed.getLocation().getLineNr() + ", column " + malformed.getLocation().getColumnNr() + ")";
        if (malformed instanceof StreamConstraintsException) {
            return original.contains("nesting") ? "nested deeper than " + MAX_DEPTH + " levels"
                    : original.contains("Number") ? "a number longer than " + MAX_DIGITS + " characters"
                    : "a string or document over the size limit";
        }
        Matcher duplicate = DUPLICATE.matcher(original);
        if (duplicate.find()) {
            return "the field '" + Params.clip(duplicate.group(1)) + "' appears twice" + where;
        }
        if (original.startsWith("Trailing token")) {
            return "more text after the JSON value" + where;
        }
        return "malformed" + where;
    }
}
