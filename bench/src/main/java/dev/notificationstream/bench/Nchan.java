package dev.notificationstream.bench;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The reference: nginx with the Nchan module from Debian's packages (nginx 1.22.1,
 * libnginx-mod-nchan 1.3.6), one channel every subscriber listens to as EventSource, published to
 * with an HTTP POST. Its config is written to a directory of its own under the bench's work
 * directory; nginx runs in the foreground and stops with the bench.
 */
final class Nchan implements AutoCloseable {

    static final Path MODULE = Path.of("/usr/lib/nginx/modules/ngx_nchan_module.so");

    final Process process;
    final int port;

    Nchan(Path dir, int port) throws IOException, InterruptedException {
        this.port = port;
        Files.createDirectories(dir.resolve("logs"));
        // Two workers for two cores, as the Tomcat side has two cores; each may hold 20,000 connections.
        Files.writeString(dir.resolve("nginx.conf"), """
                load_module %s;
                worker_processes 2;
                worker_rlimit_nofile 20000;
                pid %s;
                error_log %s warn;
                events { worker_connections 20000; }
                http {
                    access_log off;
                    client_body_temp_path %s;
                    server {
                        listen 127.0.0.1:%d backlog=1000;
                        location = /health { return 200 "UP"; }
                        location = /pub { nchan_publisher; nchan_channel_id all; }
                        location /events {
                            nchan_subscriber eventsource;
                            nchan_channel_id all;
                            nchan_subscriber_first_message newest;
                        }
                    }
                }
                """.formatted(MODULE, dir.resolve("nginx.pid"), dir.resolve("logs/error.log"), dir.resolve("body"), port));
        process = new ProcessBuilder("/usr/sbin/nginx", "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(dir.resolve("logs/console.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nginx exited; see " + dir.resolve("logs"));
            }
            try {
                HttpURLConnection health = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/health").toURL().openConnection();
                if (health.getResponseCode() == 200) {
                    health.disconnect();
                    Driver.log("nginx + Nchan up, master pid " + process.pid());
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("nginx did not start within 20 s");
    }

    /** The master and its workers. */
    List<Long> pids() {
        long master = process.pid();
        try (Stream<Path> all = Files.list(Path.of("/proc"))) {
            List<Long> pids = new java.util.ArrayList<>(List.of(master));
            all.map(p -> p.getFileName().toString()).filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong).filter(pid -> Proc.parent(pid) == master).forEach(pids::add);
            return pids;
        } catch (IOException e) {
            return List.of(master);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: nginx stops at once
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
