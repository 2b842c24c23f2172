package dev.notificationstream.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** One results file: a header, then a row per measurement, written as it is taken. */
final class Csv {

    private final Path file;

    Csv(Path file, String header) throws IOException {
        this.file = file;
        Files.writeString(file, header + "\n");
    }

    void row(Object... values) throws IOException {
        Files.writeString(file, Arrays.stream(values).map(String::valueOf).collect(Collectors.joining(",")) + "\n",
                StandardOpenOption.APPEND);
    }

    /** Rows of a CSV file as string arrays, header first. */
    static List<String[]> read(Path file) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                rows.add(line.split(",", -1));
            }
        }
        return rows;
    }
}
