package dev.notificationstream.connector;

import dev.notificationstream.tomcat.BuiltAgainst;
import java.lang.reflect.Field;
import java.nio.CharBuffer;
import java.util.logging.Logger;
import org.apache.catalina.connector.CoyoteAdapter;
import org.apache.catalina.connector.InputBuffer;
import org.apache.catalina.connector.Request;
import org.apache.coyote.Adapter;
import org.apache.coyote.Response;
import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.tomcat.util.net.SocketEvent;

/**
 * Tomcat's NIO HTTP/1.1 connector with smaller servlet-layer buffers, which no connector attribute
 * sizes: every request in flight has them, Tomcat pools them for reuse, and an async stream (HTTP/2
 * on this connector, HTTP/1.0) keeps them for as long as it lives (docs/benchmarks.md; an HTTP/1.1
 * stream hands its connection over and keeps none). The buffers:
 * <ul>
 * <li>the response buffer: {@code getDesiredBufferSize()} bytes and as many chars, 8 KiB + 16 KiB
 * by default. An SSE event is ~300 bytes and is flushed at once, so 1 KiB loses nothing, and
 * {@code response.setBufferSize} still grows it for a response that wants more;</li>
 * <li>the request's char buffer (8192 chars, 16 KiB), used only by {@code getReader()}: replaced by
 * a small one after the request's first dispatch, when it is still empty. It grows again if a
 * reader needs it. Tomcat offers no setting for it, so this reaches a private field: check it on a
 * Tomcat upgrade (the benchmark's live heap per stream shows at once whether it still works).</li>
 * </ul>
 * Both reach into Tomcat's internals, so they are used only on the Tomcat this was built against
 * ({@link BuiltAgainst}): on any other the connector says so in the log and behaves exactly as
 * Tomcat's own {@code Http11NioProtocol}.
 * Select it with the Connector's {@code protocol} attribute, which takes a class name. Tomcat
 * creates connectors before any web application, so this package is not in the WAR: the build
 * jars it as target/tomcat-lib/notification-stream-connector.jar for $CATALINA_BASE/lib.
 */
public class LeanHttp11NioProtocol extends Http11NioProtocol {

    /** Bytes (and chars) of each connection's servlet response buffer. */
    static final int RESPONSE_BUFFER = Integer.getInteger("leanResponseBufferSize", 1024);
    /** Chars of each request's reader buffer once shrunk. */
    static final int REQUEST_CHARS = 256;

    private static final Field INPUT_BUFFER = field(Request.class, "inputBuffer");
    private static final Field CHARS = field(InputBuffer.class, "cb");
    /** Null when the buffers can be cut on this Tomcat; else why not. */
    static final String REFUSED = BuiltAgainst.mismatch() != null ? BuiltAgainst.mismatch()
            : INPUT_BUFFER == null || CHARS == null ? "this Tomcat's Request has no inputBuffer.cb" : null;

    public LeanHttp11NioProtocol() {
        if (REFUSED != null) {
            Logger.getLogger(LeanHttp11NioProtocol.class.getName()).warning("LeanHttp11NioProtocol: " + REFUSED
                    + ": using Tomcat's own buffers, as org.apache.coyote.http11.Http11NioProtocol does"
                    + " (install the connector jar built for this Tomcat, or name Tomcat's class in server.xml)");
        }
    }

    @Override
    public int getDesiredBufferSize() {
        return REFUSED == null ? RESPONSE_BUFFER : super.getDesiredBufferSize();
    }

    @Override
    public void setAdapter(Adapter adapter) {
        super.setAdapter(REFUSED == null ? new Shrinking(adapter) : adapter);
    }

    private static Field field(Class<?> type, String name) {
        try {
            Field field = type.getDeclaredField(name);
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException changed) {
            return null; // another Tomcat version: keep its buffers
        }
    }

    /** Shrinks the request's char buffer once the container created it (on the first dispatch). */
    private static void shrink(org.apache.coyote.Request coyote) {
        if (INPUT_BUFFER == null || CHARS == null || !(coyote.getNote(CoyoteAdapter.ADAPTER_NOTES) instanceof Request request)) {
            return;
        }
        try {
            InputBuffer input = (InputBuffer) INPUT_BUFFER.get(request);
            CharBuffer chars = (CharBuffer) CHARS.get(input);
            if (chars.capacity() > REQUEST_CHARS && chars.position() == 0 && chars.limit() == 0) {
                CHARS.set(input, CharBuffer.allocate(REQUEST_CHARS).limit(0));
            }
        } catch (ReflectiveOperationException | RuntimeException ignored) {
            // keep the buffer as it is
        }
    }

    /** The capacity of {@code request}'s reader buffer, or -1 where this Tomcat hides it. */
    static int readerChars(Request request) {
        try {
            return ((CharBuffer) CHARS.get(INPUT_BUFFER.get(request))).capacity();
        } catch (ReflectiveOperationException | RuntimeException hidden) {
            return -1;
        }
    }

    private record Shrinking(Adapter delegate) implements Adapter {
        @Override
        public void service(org.apache.coyote.Request req, Response res) throws Exception {
            delegate.service(req, res);
            shrink(req);
        }

        @Override
        public boolean prepare(org.apache.coyote.Request req, Response res) throws Exception {
            return delegate.prepare(req, res);
        }

        @Override
        public boolean asyncDispatch(org.apache.coyote.Request req, Response res, SocketEvent status) throws Exception {
            return delegate.asyncDispatch(req, res, status);
        }

        @Override
        public void log(org.apache.coyote.Request req, Response res, long time) {
            delegate.log(req, res, time);
        }

        @Override
        public void checkRecycled(org.apache.coyote.Request req, Response res) {
            delegate.checkRecycled(req, res);
        }

        @Override
        public String getDomain() {
            return delegate.getDomain();
        }
    }
}
