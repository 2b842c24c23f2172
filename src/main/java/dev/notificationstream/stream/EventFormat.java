package dev.notificationstream.stream;

import dev.notificationstream.http.Json;
import dev.notificationstream.db.Page;
import dev.notificationstream.feed.EncodedPage;
import dev.notificationstream.feed.PageEncoder;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The Server-Sent Events wire format (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 *
 * <pre>
 * event: notification        one per row; data is the notification as one line of JSON
 * data: {"id":42,...}
 * id: 752:755:753            on the last event of a batch only: the cursor to resume from
 *
 * event: read                read on one of the user's devices: the ids, no cursor
 * data: {"ids":[41,42]}
 *
 * :                          heartbeat, every SSE_HEARTBEAT_INTERVAL: a comment and the latest
 * event: cursor              cursor, which moves a quiet client's resume point forward; listeners
 * id: 760:760:               of "notification" never see it
 * data: 760:760:
 *
 * event: token-expiring      the stream's sign-in token expires at exp (epoch seconds), when the
 * data: {"exp":1767225600}   server ends the stream: a minute before, or half its life if shorter
 * event: config              the last frame of a stream whose user no longer gets SSE
 * data: {"sseEnabled":false,"sseRolloutPercent":10}
 * </pre>
 */
public final class EventFormat implements PageEncoder {

    private static final byte[] COMMENT_LINE = ascii(":\n");
    private static final byte[] COMMENT = ascii(":\n\n");

    @Override
    public EncodedPage encode(Page page) {
        List<Notification> rows = page.rows();
        byte[][] frames = new byte[rows.size()][];
        for (int i = 0; i < frames.length; i++) {
            ByteArrayOutputStream frame = new ByteArrayOutputStream(320);
            frame.writeBytes(ascii("event: notification\ndata: "));
            frame.writeBytes(Json.notification(rows.get(i)));
            frame.write('\n');
            frames[i] = frame.toByteArray();
        }
        return new EncodedPage(page, frames, ascii("id: " + page.next() + "\n\n"));
    }

    @Override
    public byte[] cursorFrame(Cursor cursor) {
        return ascii("event: cursor\nid: " + cursor + "\ndata: " + cursor + "\n\n");
    }

    @Override
    public byte[] heartbeat(Cursor latest) {
        if (latest == null) {
            return COMMENT;
        }
        // A comment for proxies and raw readers, and an event: EventSource shows no comment to scripts.
        byte[] event = cursorFrame(latest);
        byte[] frame = Arrays.copyOf(COMMENT_LINE, COMMENT_LINE.length + event.length);
        System.arraycopy(event, 0, frame, COMMENT_LINE.length, event.length);
        return frame;
    }

    @Override
    public byte[] readFrame(List<Long> ids) {
        StringBuilder frame = new StringBuilder("event: read\ndata: {\"ids\":[");
        for (int i = 0; i < ids.size(); i++) {
            frame.append(i == 0 ? "" : ",").append(ids.get(i));
        }
        return ascii(frame.append("]}\n\n").toString());
    }

    @Override
    public byte[] tokenExpiring(long exp) {
        return ascii("event: token-expiring\ndata: {\"exp\":" + exp + "}\n\n");
    }

    @Override
    public byte[] goodbye(int retryMs) {
        return ascii("retry: " + retryMs + "\n: server is stopping, come back later\n\n");
    }

    @Override
    public byte[] configFrame(Map<String, Object> config) {
        try {
            return ascii("event: config\ndata: " + Json.MAPPER.writeValueAsString(config) + "\n\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException cannotHappen) {
            throw new IllegalStateException(cannotHappen);
        }
    }

    /** The first bytes of every stream: the reconnect delay, and a comment so onopen fires at once. */
    byte[] hello(int retryMs) {
        return ascii("retry: " + retryMs + "\n: connected\n\n");
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
