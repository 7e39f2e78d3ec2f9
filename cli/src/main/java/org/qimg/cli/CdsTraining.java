package org.qimg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.qimg.format.ImageFormats;

/**
 * The training run the {@code qimg} launcher records a class list from (for its CDS archive): the common
 * commands, run in this one JVM on a tiny image in the directory given as the only argument, so that one
 * list names every class they load (a JDK's class list cannot be merged from several runs). Not a user
 * command; it prints nothing and exits 0 whatever the commands report.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: CdsTraining DIR");
            System.exit(2);
        }
        ImageFormats.preloadNatives();
        Path dir = Path.of(args[0]);
        String raw = dir.resolve("a.raw").toString();
        String qcow2 = dir.resolve("b.qcow2").toString();
        try (RandomAccessFile f = new RandomAccessFile(raw, "rw")) {
            f.setLength(1 << 20); // sparse: one data cluster, the rest a hole
            f.seek(65536);
            f.write("qimg".getBytes(StandardCharsets.US_ASCII));
        }
        String[][] runs = {
            {"convert", "-c", "--verify", "-O", "qcow2", raw, qcow2},
            {"compare", raw, qcow2},
            {"info", "--output=json", qcow2},
            {"check", qcow2},
            {"map", qcow2},
            {"convert", "-O", "qcow2", raw, dir.resolve("c.qcow2").toString()},
            {"amend", "-o", "refcount_bits=64", qcow2},
            {"amend", "-o", "compat=0.10", dir.resolve("c.qcow2").toString()},
        };
        PrintWriter sink = new PrintWriter(Writer.nullWriter());
        for (String[] run : runs) {
            Main.run(sink, sink, run);
        }
        System.exit(0);
    }
}
