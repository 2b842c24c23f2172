package dev.notificationstream.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What Linux says about a process: CPU time, RSS, threads, open files (all from /proc). */
final class Proc {

    /** Clock ticks per second of /proc/PID/stat (USER_HZ: 100 on Linux). */
    static final int HZ = 100;

    private Proc() {}

    /** User + system CPU time of {@code pid}, in microseconds (10 ms resolution). */
    static long cpuMicros(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": state ppid ... utime is field 14 overall, index 11 here; stime 12
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * (1_000_000L / HZ);
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    static long parent(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }

    /** CPU of {@code pid} and its direct children (a PostgreSQL postmaster and its backends). */
    static long treeCpuMicros(long pid) {
        long total = cpuMicros(pid);
        try (Stream<Path> all = Files.list(Path.of("/proc"))) {
            List<Long> children = all.map(p -> p.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong)
                    .filter(child -> parent(child) == pid)
                    .toList();
            for (long child : children) {
                total += cpuMicros(child);
            }
        } catch (IOException ignored) {
            // count what we have
        }
        return total;
    }

    static long status(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).strip().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException gone) {
            // fall through
        }
        return -1;
    }

    static long rssKib(long pid) {
        return status(pid, "VmRSS");
    }

    static long threads(long pid) {
        return status(pid, "Threads");
    }

    static long openFiles(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        } catch (IOException gone) {
            return -1;
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static double load1() {
        return Double.parseDouble(loadAverage().split(" ")[0]);
    }
}
