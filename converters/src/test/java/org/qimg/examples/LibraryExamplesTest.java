package org.qimg.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.CheckReport;
import org.qimg.ConvertSpec;
import org.qimg.Qimg;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;

/** Runs README's library examples and the rest of the public entry point, using only that entry point. */
class LibraryExamplesTest {
    @TempDir
    Path dir;

    private Path raw() throws IOException {
        byte[] data = new byte[3 << 20];
        Random r = new Random(11);
        for (int i = 0; i < data.length; i += 4096) {
            // text-like, compressible data, with holes
            if ((i / 4096) % 3 != 0) {
                for (int j = 0; j < 4096; j++) {
                    data[i + j] = (byte) ('a' + r.nextInt(4));
                }
            }
        }
        Path raw = dir.resolve("disk.raw");
        Files.write(raw, data);
        return raw;
    }

    @Test
    void compressExampleWritesAZstdQcow2ThatReadsBackAsTheRaw() throws Exception {
        Path raw = raw();
        Path qcow2 = dir.resolve("disk.qcow2");
        LibraryExamples.compress(raw, qcow2);
        assertThat(Qimg.identical(raw, qcow2)).isTrue();
        assertThat(Qimg.checksum(qcow2)).isEqualTo(Qimg.checksum(raw)).hasSize(64);
        byte[] header = Arrays.copyOf(Files.readAllBytes(qcow2), 112);
        assertThat(header[104 + 0]).as("compression type byte (zstd = 1)").isEqualTo((byte) 1);
        assertThat(Files.size(qcow2)).isLessThan(Files.size(raw) / 2);
    }

    @Test
    void readExampleReadsTheFirstSector() throws Exception {
        Path raw = raw();
        byte[] data = Files.readAllBytes(raw);
        data[0] = 'Q';
        Files.write(raw, data);
        Path qcow2 = dir.resolve("plain.qcow2");
        Qimg.convert(raw, qcow2, ConvertSpec.to("qcow2"));
        assertThat(LibraryExamples.readFirstSector(qcow2)).isEqualTo(Arrays.copyOf(data, 512));
        try (DiskImage d = Qimg.open(qcow2, "qcow2")) {
            assertThat(d.virtualSize()).isEqualTo(data.length);
        }
    }

    @Test
    void progressReachesTheEnd() throws Exception {
        Path raw = raw();
        List<long[]> seen = new ArrayList<>();
        Qimg.convert(raw, dir.resolve("p.qcow2"), ConvertSpec.to("qcow2").compressed().threads(2)
                .progress((done, total) -> seen.add(new long[] {done, total})));
        assertThat(seen).isNotEmpty();
        long[] last = seen.get(seen.size() - 1);
        assertThat(last[0]).isEqualTo(last[1]).isEqualTo(Files.size(raw));
    }

    @Test
    void checkFindsANewImageCleanAndRefusesRaw() throws Exception {
        Path raw = raw();
        Path qcow2 = dir.resolve("c.qcow2");
        Qimg.convert(raw, qcow2, ConvertSpec.to("qcow2").compressed());
        CheckReport report = Qimg.check(qcow2);
        assertThat(report.clean()).as(report.toString()).isTrue();
        assertThatThrownBy(() -> Qimg.check(raw)).isInstanceOf(ImageException.class)
                .hasMessage("This image format does not support checks");
    }

    @Test
    void readmeShowsTheseExamplesWordForWord() throws Exception {
        String source = Files.readString(Path.of("src/test/java/org/qimg/examples/LibraryExamples.java"));
        String readme = Files.readString(Path.of("../README.md"));
        for (String name : List.of("read", "compress")) {
            String body = source.split("// example: " + name + "\n")[1].split("    // end")[0];
            StringBuilder unindented = new StringBuilder();
            for (String line : body.stripTrailing().split("\n")) {
                unindented.append(line.startsWith("    ") ? line.substring(4) : line).append('\n');
            }
            assertThat(readme).as("README example %s", name).contains("```java\n" + unindented + "```");
        }
    }

    @Test
    void theCodecIsNamedOnceAndAnUnknownOneIsRefused() throws Exception {
        Path raw = raw();
        assertThatThrownBy(() -> Qimg.convert(raw, dir.resolve("x.qcow2"), ConvertSpec.to("qcow2")
                .option("compression_type", "lzma").compressed()))
                .isInstanceOf(ImageException.class);
        assertThatThrownBy(() -> Qimg.convert(raw, dir.resolve("x.raw"), ConvertSpec.to("raw").compressed()))
                .isInstanceOf(ImageException.class).hasMessage("Compression not supported for this file format");
        assertThat(Files.exists(dir.resolve("x.qcow2"))).isFalse();
    }
}
