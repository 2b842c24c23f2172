package dev.notificationstream.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;

/**
 * What a state-changing request must pass before its body is read: JSON only (a cross-site HTML
 * form cannot send it without a CORS preflight, which only listed origins pass), an Origin that is
 * ours or listed, and a bounded size; and a parser that refuses JSON bombs (deep nesting, huge
 * numbers or strings) instead of spending memory on them.
 */
public final class RequestGuard {

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
        this.strict = new ObjectMapper(JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(32)
                        .maxNumberLength(64)
                        .maxStringLength(maxBytes)
                        .maxDocumentLength(maxBytes)
                        .build())
                .build());
    }

    /** A state-changing request must come from our pages or a listed origin, whatever credentials it carries. */
    public void checkOrigin(HttpServletRequest request) throws Refused {
        if (!origins.mayCall(request) || "cross-site".equals(request.getHeader("Sec-Fetch-Site")) && !origins.isListed(request.getHeader("Origin"))) {
            throw new Refused(403, "forbidden_origin", "requests from this origin are not allowed (CORS_ALLOWED_ORIGINS)");
        }
    }

    public void checkJsonPost(HttpServletRequest request) throws Refused {
        checkOrigin(request);
        String type = request.getContentType();
        if (type == null || !type.toLowerCase().startsWith("application/json")) {
            throw new Refused(415, "unsupported_media_type", "send the notification as application/json");
        }
        if (request.getContentLengthLong() > maxBytes) {
            throw new Refused(413, "too_large", "the body must be at most " + maxBytes + " bytes");
        }
    }

    public JsonNode readJson(HttpServletRequest request) throws Refused, IOException {
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(maxBytes + 1); // a chunked body has no Content-Length to check first
        }
        if (body.length > maxBytes) {
            throw new Refused(413, "too_large", "the body must be at most " + maxBytes + " bytes");
        }
        try {
            return strict.readTree(body);
        } catch (JsonProcessingException malformed) {
            // Jackson's own words, first line only: it says what is wrong without a location dump.
            String reason = malformed.getOriginalMessage().lines().findFirst().orElse("malformed");
            throw new Refused(400, "invalid_json", "the body is not acceptable JSON: "
                    + (reason.length() > 160 ? reason.substring(0, 160) + "..." : reason));
        }
    }
}
