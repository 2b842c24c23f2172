package dev.notificationstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.launch.TomcatDistribution;
import dev.notificationstream.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README "Deploying to Tomcat", step by step, as written: its shell blocks run with bash on a bare
 * CATALINA_BASE over the unpacked distribution, with this test's values for the variables they
 * {@code export} (and nothing else); then the page, its static files, the API and a stream work,
 * signed in as the user the walkthrough created. The systemd unit runs the same command.
 */
class DeployWalkthroughIT {

    private static final Path README = Path.of("README.md");
    private static final Path UNIT = Path.of("deploy/systemd/notification-stream.service");
    private static final Path JAVA_17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String USER = "walker";
    private static final String PASSWORD = "walked-in";

    @Test
    void the_readme_walkthrough_on_a_bare_catalina_base_serves_the_inbox_the_api_and_a_stream() throws Exception {
        List<String> blocks = walkthroughBlocks();
        assertEquals(4, blocks.size(), "variables, files, users, start");
        Path base = Path.of("target/it-walkthrough/base").toAbsolutePath();
        deleteTree(base);
        String databaseUrl = TestDatabase.create();
        int port = TomcatDistribution.freePort();
        Map<String, String> values = new HashMap<>(Map.of(
                "CATALINA_HOME", TomcatDistribution.home().toString(),
                "CATALINA_BASE", base.toString(),
                "USERS_PSQL", psqlUrl(databaseUrl),
                "NEW_USER", USER,
                "NEW_PASSWORD", PASSWORD,
                "DATABASE_URL", databaseUrl,
                "USERS_DATABASE_URL", databaseUrl,
                "USERS_DATABASE_USER", "postgres",
                "USERS_DATABASE_PASSWORD", "",
                "PUBLIC_ORIGINS", "http://127.0.0.1:" + port));
        assertEquals(new TreeSet<>(values.keySet()), exported(blocks), "the variables the walkthrough asks for");

        bash(blocks.get(1), values); // the files
        bash(blocks.get(2), values); // the realm's tables and a user
        List<String> start = commands(blocks.get(3));
        assertEquals(List.of("\"$CATALINA_HOME\"/bin/catalina.sh run"), start, "the start command");

        checkUnit(base, values);

        if (Files.isDirectory(JAVA_17)) { // Debian's default JDK here
            // The same start on Java 17 stops at once and says why.
            ProcessBuilder old = new ProcessBuilder("bash", "-c", start.getFirst()).redirectErrorStream(true);
            old.environment().putAll(values);
            old.environment().put("JAVA_HOME", JAVA_17.toString());
            old.environment().remove("JRE_HOME");
            Process process = old.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, process.exitValue(), output);
            assertTrue(output.contains("setenv.sh: notification-stream needs Java 21 or newer; " + JAVA_17 + "/bin/java is 17"), output);
        } else {
            System.out.println("no " + JAVA_17 + ": the Java 17 start is not tried");
        }

        Path console = base.resolve("logs/console.log");
        Map<String, String> environment = new HashMap<>(values);
        environment.remove("CATALINA_HOME"); // TomcatDistribution.start sets these two and runs catalina.sh run
        environment.remove("CATALINA_BASE");
        try (TomcatDistribution tomcat = TomcatDistribution.start(base, port, environment, console);
                HttpClient http = HttpClient.newHttpClient()) {
            String credentials = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(tomcat.url() + "/"))
                    .header("Authorization", credentials).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode(), "the inbox page");
            assertTrue(page.body().contains("<title>Inbox</title>"), page.body());
            for (String file : List.of("/js/inbox.js", "/js/notification-client.js", "/css/inbox.css", "/favicon.svg")) {
                assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(tomcat.url() + file)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode(), file + ", without sign-in");
            }
            assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(tomcat.url() + "/api/notifications")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());

            HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(tomcat.url() + "/events"))
                    .header("Authorization", credentials).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, stream.statusCode());
            try (var sql = TestDatabase.connect(databaseUrl); var insert = sql.createStatement()) {
                insert.execute("INSERT INTO notifications (recipient, title) VALUES ('" + USER + "', 'walked through')");
            }
            try (var events = new java.io.BufferedReader(new java.io.InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                String line;
                do {
                    line = events.readLine();
                } while (line != null && !line.contains("walked through"));
                assertTrue(line != null, "the row on the stream");
            }

            String log = TomcatDistribution.read(console);
            assertFalse(log.contains("No global web.xml found"), log);
            assertFalse(log.contains("java.io.tmpdir directory does not exist"), log);
            assertFalse(log.contains("SEVERE"), log);
        }
    }

    /**
     * The systemd unit, with this test's paths: it runs the README's start command on the same
     * CATALINA_BASE, and systemd-analyze (where installed) finds nothing wrong with it.
     */
    private static void checkUnit(Path base, Map<String, String> values) throws Exception {
        Path dir = Files.createDirectories(base.resolveSibling("systemd"));
        Path env = dir.resolve("env");
        StringBuilder settings = new StringBuilder();
        values.forEach((name, value) -> settings.append(name).append('=').append(value).append('\n'));
        Files.writeString(env, settings);
        String home = values.get("CATALINA_HOME");
        String unit = Files.readString(UNIT).replace("/opt/tomcat/apache-tomcat-11.0.24", home)
                .replace("/srv/notification-stream", base.toString()).replace("/etc/notification-stream/env", env.toString());
        assertTrue(unit.contains("\nExecStart=" + home + "/bin/catalina.sh run\n"), "the README's start command");
        assertTrue(unit.contains("\nEnvironment=CATALINA_BASE=" + base + "\n"));
        assertTrue(unit.contains("\nEnvironmentFile=" + env + "\n"));
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        if (Files.isExecutable(analyze)) {
            Path copy = dir.resolve("notification-stream.service");
            Files.writeString(copy, unit);
            Process verify = new ProcessBuilder(analyze.toString(), "verify", copy.toString()).redirectErrorStream(true).start();
            String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(verify.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, verify.exitValue(), output);
        }
    }

    /** The shell blocks of "Step by step, on a stock Tomcat", in order. */
    private static List<String> walkthroughBlocks() throws Exception {
        String readme = Files.readString(README);
        int from = readme.indexOf("### Step by step, on a stock Tomcat");
        int to = readme.indexOf("\n### ", from + 1);
        assertTrue(from >= 0 && to > from, "README has the walkthrough");
        List<String> blocks = new ArrayList<>();
        Matcher block = Pattern.compile("(?s)```sh\n(.*?)```").matcher(readme.substring(from, to));
        while (block.find()) {
            blocks.add(block.group(1));
        }
        return blocks;
    }

    /** The names the blocks' {@code export} lines set. */
    private static TreeSet<String> exported(List<String> blocks) {
        TreeSet<String> names = new TreeSet<>();
        Pattern assignment = Pattern.compile("([A-Z_]+)=(?:'[^']*'|\\S*)");
        for (String line : String.join("\n", blocks).lines().filter(l -> l.startsWith("export ")).toList()) {
            String assignments = line.substring("export ".length()).replaceFirst("\\s+#.*$", "");
            Matcher each = assignment.matcher(assignments);
            while (each.find()) {
                names.add(each.group(1));
            }
        }
        return names;
    }

    /** A block's commands, without comments and exports (the test gives their values). */
    private static List<String> commands(String block) {
        return block.replace("\\\n", " ").lines().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#") && !line.startsWith("export "))
                .map(line -> line.replaceAll(" +", " ")).toList();
    }

    private static void bash(String block, Map<String, String> values) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "-euo", "pipefail", "-c", String.join("\n", commands(block)));
        builder.environment().putAll(values);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the block finished");
        assertEquals(0, process.exitValue(), block + "\n" + output);
    }

    /** psql's form of a test database's JDBC URL (jdbc:postgresql://host:port/db?user=...). */
    private static String psqlUrl(String jdbcUrl) {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        String user = uri.getQuery() == null ? "postgres" : uri.getQuery().replaceFirst("(^|.*&)user=([^&]*).*", "$2");
        return "postgresql://" + user + "@" + uri.getAuthority() + uri.getPath();
    }

    private static void deleteTree(Path path) throws Exception {
        if (Files.exists(path)) {
            try (var paths = Files.walk(path)) {
                for (Path each : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(each);
                }
            }
        }
    }
}
