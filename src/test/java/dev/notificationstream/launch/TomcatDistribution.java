package dev.notificationstream.launch;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The built WAR on the real Tomcat 11 distribution (unpacked from Maven Central by {@code package}
 * into target/tomcat), as an operator installs it: a CATALINA_BASE made of the distribution's conf
 * with tomcat-conf laid over it, the WAR as webapps/ROOT.war, its settings in
 * conf/Catalina/localhost/ROOT.xml, and {@code catalina.sh run} as a child process. Settings go in
 * through the environment, which tomcat-conf's {@code ${NAME:-default}} placeholders read.
 */
public final class TomcatDistribution implements AutoCloseable {

    private final Path base;
    private final int port;
    private final Process process;
    private final Path output;

    private TomcatDistribution(Path base, int port, Process process, Path output) {
        this.base = base;
        this.port = port;
        this.process = process;
        this.output = output;
    }

    /** CATALINA_HOME: the unpacked distribution (the pom passes its path). */
    public static Path home() {
        String configured = System.getProperty("notificationstream.catalina.home");
        Path home = configured != null ? Path.of(configured) : Path.of("target/tomcat/apache-tomcat-11.0.24");
        if (!Files.isRegularFile(home.resolve("bin/catalina.sh"))) {
            throw new IllegalStateException("no Tomcat distribution at " + home.toAbsolutePath() + ": run `./mvnw -DskipTests package` first");
        }
        return home.toAbsolutePath();
    }

    /**
     * Makes {@code base} a CATALINA_BASE from scratch. {@code demoUsers}: the application's context
     * gets a MemoryRealm with tomcat-conf/demo-users.xml, which takes precedence over the
     * production realm of server.xml (the local run and most tests); false: the production realm.
     */
    public static Path prepare(Path base, boolean demoUsers) throws IOException {
        return prepare(base, demoUsers ? Path.of("tomcat-conf/demo-users.xml") : null);
    }

    /**
     * For bench/run.sh: arguments {@code BASE USERS_FILE [MAX_CONNECTIONS]} makes a CATALINA_BASE whose
     * context reads its users from USERS_FILE, with server.xml's maxConnections raised to hold the
     * benchmark's streams (the only change to tomcat-conf).
     */
    public static void main(String[] args) throws IOException {
        Path base = prepare(Path.of(args[0]), Path.of(args[1]));
        if (args.length > 2) {
            Path serverXml = base.resolve("conf/server.xml");
            String xml = Files.readString(serverXml);
            if (!xml.contains("maxConnections=\"10000\"")) {
                throw new IllegalStateException("server.xml no longer says maxConnections=\"10000\"");
            }
            // Every occurrence: the first is in the comment that explains it.
            Files.writeString(serverXml, xml.replace("maxConnections=\"10000\"", "maxConnections=\"" + args[2] + "\""));
        }
        System.out.println(base);
    }

    /** {@code users}: a tomcat-users file for a MemoryRealm in the application's context; null: server.xml's realm. */
    private static Path prepare(Path base, Path users) throws IOException {
        Path war = Path.of("target/notification-stream.war");
        if (!Files.isRegularFile(war)) {
            throw new IllegalStateException("no " + war + ": run `./mvnw -DskipTests package` first");
        }
        delete(base);
        Path home = home();
        Path conf = base.resolve("conf");
        copyTree(home.resolve("conf"), conf); // web.xml, catalina.properties and the rest, as shipped
        Path tomcatConf = Path.of("tomcat-conf");
        copy(tomcatConf.resolve("server.xml"), conf.resolve("server.xml"));
        copy(tomcatConf.resolve("logging.properties"), conf.resolve("logging.properties"));
        Files.createDirectories(base.resolve("bin"));
        copy(tomcatConf.resolve("setenv.sh"), base.resolve("bin/setenv.sh"));
        Path descriptor = conf.resolve("Catalina/localhost/ROOT.xml");
        Files.createDirectories(descriptor.getParent());
        String context = Files.readString(tomcatConf.resolve("context.xml"));
        if (users != null) {
            copy(users, conf.resolve("demo-users.xml"));
            context = context.replace("</Context>", """
                      <!-- Local run only: the demo users of tomcat-conf/demo-users.xml instead of server.xml's realm. -->
                      <Realm className="org.apache.catalina.realm.MemoryRealm" pathname="conf/demo-users.xml" />
                    </Context>""");
        }
        Files.writeString(descriptor, context);
        Files.createDirectories(base.resolve("lib"));
        try (Stream<Path> jars = Files.list(Path.of("target/tomcat-lib"))) {
            for (Path jar : jars.toList()) {
                copy(jar, base.resolve("lib").resolve(jar.getFileName()));
            }
        }
        Files.createDirectories(base.resolve("webapps"));
        copy(war, base.resolve("webapps/ROOT.war"));
        for (String dir : new String[] {"logs", "temp", "work"}) {
            Files.createDirectories(base.resolve(dir));
        }
        return base.toAbsolutePath();
    }

    /**
     * Runs {@code catalina.sh run} on {@code base} and waits until {@code /health} answers.
     * {@code output}: null to share this process's console, else the file for Tomcat's console.
     */
    public static TomcatDistribution start(Path base, int port, Map<String, String> environment, Path output)
            throws IOException, InterruptedException {
        Path home = home();
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", home.resolve("bin/catalina.sh").toString(), "run");
        builder.environment().putAll(environment);
        builder.environment().put("CATALINA_HOME", home.toString());
        builder.environment().put("CATALINA_BASE", base.toAbsolutePath().toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().putIfAbsent("CATALINA_OPTS", "-Xmx512m");
        builder.redirectErrorStream(true);
        if (output == null) {
            builder.inheritIO();
        } else {
            builder.redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        }
        TomcatDistribution tomcat = new TomcatDistribution(base.toAbsolutePath(), port, builder.start(), output);
        try {
            tomcat.awaitHealthy(Duration.ofSeconds(90));
        } catch (IOException | InterruptedException | RuntimeException failed) {
            tomcat.close();
            throw failed;
        }
        return tomcat;
    }

    private void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Tomcat exited with " + process.exitValue() + "; see " + base.resolve("logs"));
                }
                if (output != null && read(output).contains("startup failed due to previous errors")) {
                    throw new IllegalStateException("the application did not start; see " + output);
                }
                try {
                    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(url() + "/health")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (health.statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // still starting
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("Tomcat did not answer /health within " + timeout.toSeconds() + " s; see " + base.resolve("logs"));
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path base() {
        return base;
    }

    /** False once Tomcat exited (with -XX:+ExitOnOutOfMemoryError from setenv.sh, also on an OutOfMemoryError). */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Blocks until Tomcat exits; returns its exit code. */
    public int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    /** SIGTERM, so Tomcat stops cleanly (streams end with a retry); SIGKILL if it takes over 30 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** A free TCP port on the loopback interface, for the tests and a second instance. */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    public static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    copy(path, target);
                }
            }
        }
    }

    static void delete(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(path)) {
            for (Path each : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(each);
            }
        }
    }
}
