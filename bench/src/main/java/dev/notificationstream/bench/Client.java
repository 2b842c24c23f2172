package dev.notificationstream.bench;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The driver's handle on one {@link LoadClient} process. */
final class Client implements AutoCloseable {

    final Process process;
    private final PrintWriter in;
    private final BufferedReader out;

    Client(List<String> command, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        process = builder.start();
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    long pid() {
        return process.pid();
    }

    synchronized String ask(String command) throws IOException {
        in.println(command);
        String answer = out.readLine();
        if (answer == null) {
            throw new IOException("load client exited; see its log");
        }
        return answer;
    }

    /** Sends without waiting for the answer (read it with {@link #answer}). */
    void send(String command) {
        in.println(command);
    }

    String answer() throws IOException {
        String answer = out.readLine();
        if (answer == null) {
            throw new IOException("load client exited; see its log");
        }
        return answer;
    }

    /** open, events, closed, failed, frames */
    long[] stats() throws IOException {
        String[] f = ask("stats").split(" ");
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5])};
    }

    /** The events recorded since the last call: {receipt epoch µs, latency µs} each. */
    List<long[]> events(Path scratch) throws IOException {
        ask("dump " + scratch);
        List<long[]> values = new ArrayList<>();
        try (DataInputStream data = new DataInputStream(new BufferedInputStream(Files.newInputStream(scratch)))) {
            while (true) {
                values.add(new long[] {data.readLong(), data.readLong()});
            }
        } catch (EOFException end) {
            // all read
        }
        Files.deleteIfExists(scratch);
        return values;
    }

    @Override
    public void close() {
        try {
            in.println("quit");
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
