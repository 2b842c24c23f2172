package dev.notificationstream.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notificationstream.model.Notification;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON out: notifications (one shape for SSE and polling) and error bodies. */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    /** One line of JSON, as an SSE {@code data:} line needs. */
    public static byte[] notification(Notification n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = MAPPER.getFactory().createGenerator(out)) {
            write(json, n);
        } catch (IOException cannotHappen) {
            throw new UncheckedIOException(cannotHappen);
        }
        return out.toByteArray();
    }

    public static void write(JsonGenerator json, Notification n) throws IOException {
        json.writeStartObject();
        json.writeNumberField("id", n.id());
        json.writeStringField("recipient", n.recipient());
        json.writeStringField("recipientRole", n.recipientRole());
        json.writeStringField("category", n.category());
        json.writeStringField("title", n.title());
        json.writeStringField("body", n.body());
        json.writeStringField("link", n.link());
        json.writeFieldName("data");
        if (n.data() == null) {
            json.writeNull();
        } else {
            json.writeRawValue(n.data()); // already JSON: PostgreSQL's jsonb text, on one line
        }
        json.writeStringField("createdAt", n.createdAt().toString());
        json.writeStringField("expiresAt", n.expiresAt() == null ? null : n.expiresAt().toString());
        json.writeBooleanField("read", n.read());
        json.writeEndObject();
    }

    public static void send(HttpServletResponse response, int status, Object body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json;charset=UTF-8");
        response.setHeader("Cache-Control", "no-store");
        MAPPER.writeValue(response.getOutputStream(), body);
    }

    /** A refusal by a limit: 429 or 503 with Retry-After, so well-behaved clients wait. */
    public static void refuse(HttpServletResponse response, int status, long retryAfterSeconds, String error, String message) throws IOException {
        response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
        error(response, status, error, message, "retryAfterSeconds", retryAfterSeconds);
    }

    /** The database did not answer in time: 503 with Retry-After, so the client comes back soon rather than waiting. */
    public static void unavailable(HttpServletResponse response) throws IOException {
        refuse(response, 503, 2, "unavailable", "the database is not reachable; try again shortly");
    }

    /** {@code {"status":400,"error":"invalid_cursor","message":"..."}} plus any extra fields. */
    public static void error(HttpServletResponse response, int status, String error, String message, Object... extra) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("error", error);
        body.put("message", message);
        for (int i = 0; i + 1 < extra.length; i += 2) {
            body.put((String) extra[i], extra[i + 1]);
        }
        response.resetBuffer();
        send(response, status, body);
    }
}
