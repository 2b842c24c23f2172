package dev.notificationstream.tomcat;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.apache.catalina.util.ServerInfo;

/**
 * The Tomcat this build was made against. Two parts reach past the Servlet API into Tomcat's
 * internals, which change between releases without notice: the connector's smaller buffers
 * (private fields) and the hand-over of HTTP/1.1 streams (an internal upgrade handler). Each
 * checks this first and, on any other Tomcat, says so once and takes Tomcat's standard path
 * (Tomcat's own buffers; streams held as async requests), which costs memory, never correctness.
 * Shipped in the WAR and in notification-stream-connector.jar alike.
 */
public final class BuiltAgainst {

    /** The version in the build, e.g. 11.0.24. */
    public static final String VERSION = read();

    private BuiltAgainst() {}

    private static String read() {
        try (InputStream in = BuiltAgainst.class.getResourceAsStream("built-against.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (IOException unreadable) {
            return "unknown";
        }
    }

    /** The running Tomcat's version, as its ServerInfo.properties says (server.number, first three parts). */
    public static String running() {
        String number = ServerInfo.getServerNumber();
        String[] parts = number == null ? new String[0] : number.split("\\.");
        return parts.length >= 3 ? parts[0] + "." + parts[1] + "." + parts[2] : String.valueOf(number);
    }

    /** Null when the running Tomcat is the one this was built against; else what differs, for the log. */
    public static String mismatch() {
        String running = running();
        return VERSION.equals(running) ? null : "built against Tomcat " + VERSION + ", running on " + running;
    }
}
