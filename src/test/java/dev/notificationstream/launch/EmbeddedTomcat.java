package dev.notificationstream.launch;

import dev.notificationstream.connector.LeanHttp11NioProtocol;
import dev.notificationstream.connector.SecureJsonErrorReportValve;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.realm.MemoryRealm;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.catalina.startup.Tomcat;
import org.apache.coyote.http2.Http2Protocol;
import org.apache.naming.factory.ResourceLinkFactory;
import org.apache.tomcat.util.descriptor.web.ContextEnvironment;
import org.apache.tomcat.util.scan.StandardJarScanner;

/**
 * Tomcat 11, embedded, serving webapp/ with the application on the classpath: the local run
 * command and the tests. Settings reach the application as JNDI environment entries, exactly as
 * context.xml gives them in a real Tomcat, so several instances with different settings can run
 * in one JVM.
 */
public final class EmbeddedTomcat implements AutoCloseable {

    private static final AtomicInteger INSTANCES = new AtomicInteger();

    /**
     * Connector attributes that cut a held SSE connection's memory (measured in docs/benchmarks.md)
     * while keeping the request-header limit real browsers need.
     */
    static final Map<String, String> TUNED = Map.of(
            "maxConnections", "20000",           // default 8192: one instance holds ~19,000 streams here
            "maxHttpRequestHeaderSize", "8192",  // browsers need >= 4 KiB; a long Last-Event-ID cursor more (BadInputTest)
            "maxHttpResponseHeaderSize", "2048", // our responses' own headers are < 1 KiB
            "maxTrailerSize", "1024",            // allocated up front per connection; SSE requests carry no body
            "socket.appReadBufSize", "512",      // a stream's client sends nothing after its request
            "socket.appWriteBufSize", "1024");   // one event is ~300 bytes; larger writes go through it in turns

    private final Tomcat tomcat;
    private final Context context;

    private EmbeddedTomcat(Tomcat tomcat, Context context) {
        this.tomcat = tomcat;
        this.context = context;
    }

    /** Starts on {@code port} (0: any free port) with the demo users of tomcat-conf/demo-users.xml. */
    public static EmbeddedTomcat start(int port, Map<String, String> settings) throws Exception {
        return start(port, settings, context -> {});
    }

    /** As above; {@code customize} may add to the context (a container DataSource) before it starts. */
    public static EmbeddedTomcat start(int port, Map<String, String> settings, Consumer<Context> customize) throws Exception {
        Path base = Files.createTempDirectory("notification-stream-tomcat");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        // JNDI names each context by engine, host and path: a unique engine lets several run in one JVM.
        tomcat.getEngine().setName("Tomcat-" + INSTANCES.incrementAndGet());
        // TOMCAT_CONNECTOR (benchmarks): "stock" for Tomcat's own defaults, or name=value,... to override
        // the tuned attributes below (e.g. useVirtualThreads=false); docs/benchmarks.md says why each.
        String overrides = System.getenv().getOrDefault("TOMCAT_CONNECTOR", "");
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("useVirtualThreads", "true"); // requests, and so parked streams, on virtual threads
        if (!overrides.equals("stock")) {
            attributes.put("protocol", LeanHttp11NioProtocol.class.getName());
            attributes.putAll(TUNED);
            for (String pair : overrides.split(",")) {
                if (pair.contains("=")) {
                    attributes.put(pair.substring(0, pair.indexOf('=')).strip(), pair.substring(pair.indexOf('=') + 1).strip());
                }
            }
        }
        Connector connector = new Connector(attributes.getOrDefault("protocol", "HTTP/1.1"));
        connector.setPort(port);
        attributes.forEach((name, value) -> {
            if (!name.equals("protocol")) {
                connector.setProperty(name, value);
            }
        });
        connector.setProperty("address", "127.0.0.1");
        connector.setProperty("connectionTimeout", "20000"); // as tomcat-conf/server.xml: a request must arrive within 20 s
        // h2c: HTTP/2 without TLS, so tests reach the HTTP/2 stream path (a client must ask for it).
        connector.addUpgradeProtocol(new Http2Protocol());
        tomcat.setConnector(connector);
        tomcat.enableNaming();
        tomcat.setAddDefaultWebXmlToWebapp(false); // no JSP here: add only the default servlet below

        // Errors the container answers before the application sees the request (a request line over
        // maxHttpHeaderSize, a malformed request) in JSON too, without server details.
        // With the security headers, and no exception text, stack trace or server version: as server.xml.
        StandardHost host = (StandardHost) tomcat.getHost();
        host.setErrorReportValveClass(SecureJsonErrorReportValve.class.getName());
        host.getPipeline().addValve(new SecureJsonErrorReportValve());

        Context context = tomcat.addWebapp("", new File("webapp").getAbsolutePath());
        context.setParentClassLoader(EmbeddedTomcat.class.getClassLoader());
        StandardJarScanner scanner = (StandardJarScanner) context.getJarScanner();
        scanner.setScanClassPath(false); // web.xml is metadata-complete: nothing to find in jars
        scanner.setScanManifest(false);
        settings.forEach((name, value) -> {
            ContextEnvironment entry = new ContextEnvironment();
            entry.setName(name);
            entry.setType(String.class.getName());
            entry.setValue(value);
            context.getNamingResources().addEnvironment(entry);
        });
        MemoryRealm realm = new MemoryRealm();
        // DEMO_USERS_FILE (benchmarks): another tomcat-users.xml, e.g. the bench module's user0..user19999.
        realm.setPathname(new File(System.getenv().getOrDefault("DEMO_USERS_FILE", "tomcat-conf/demo-users.xml")).getAbsolutePath());
        context.setRealm(realm);
        Tomcat.addServlet(context, "default", new DefaultServlet());
        context.addServletMappingDecoded("/", "default");
        context.addWelcomeFile("index.html");
        Tomcat.addDefaultMimeTypeMappings(context);

        customize.accept(context);
        tomcat.start();
        if (!context.getState().isAvailable()) {
            tomcat.stop();
            tomcat.destroy();
            throw new IllegalStateException("the application did not start; see the log above");
        }
        return new EmbeddedTomcat(tomcat, context);
    }

    public int port() {
        return tomcat.getConnector().getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    public Context context() {
        return context;
    }

    public void await() {
        tomcat.getServer().await();
    }

    @Override
    public void close() throws LifecycleException {
        // Tomcat keeps one JVM-wide "global naming context", the last server started's; a context
        // checks against it when it stops. With several embedded servers in one JVM, point it at ours.
        ResourceLinkFactory.setGlobalContext(tomcat.getServer().getGlobalNamingContext());
        tomcat.stop();
        tomcat.destroy();
    }
}
