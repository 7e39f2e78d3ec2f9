package org.qimg.tests.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * Issue 13: a truncated or corrupted compressed file is one line on stderr naming the file and an offset in
 * it, exit 1, no stack trace, no DST left, no temporary copy left. Truncated: the first 60% of the file
 * (every tool's own decompressor refuses it too). Corrupted: eight bytes overwritten in the middle of the
 * compressed data (the tools' checksums catch it; so must qimg).
 */
class DamagedContainerTest {
    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+at [\\w.$/]+\\(.*\\)$", Pattern.MULTILINE);
    private static Path dir;

    @BeforeAll
    static void files() {
        dir = ContainerFiles.dir();
    }

    static Stream<ContainerFiles.Packed> packed() {
        // lz4 frames carry no content checksum unless asked (-BX is not the default): corruption may go unseen
        return ContainerFiles.packed().stream().filter(p -> !p.file().endsWith(".lz4"));
    }

    static Stream<ContainerFiles.Packed> all() {
        return ContainerFiles.packed().stream();
    }

    @ParameterizedTest(name = "truncated {0}")
    @MethodSource("all")
    void truncatedFileIsAOneLineError(ContainerFiles.Packed p) throws IOException {
        Path src = dir.resolve(p.file());
        Path cut = dir.resolve("cut-" + p.file());
        byte[] all = Files.readAllBytes(src);
        Files.write(cut, java.util.Arrays.copyOf(all, all.length * 6 / 10));
        assertThat(ContainerFiles.sh0("! " + decompressor(p) + " " + cut.getFileName() + " > /dev/null 2>&1"))
                .as("the tool itself refuses the truncated file").isTrue();
        for (List<String> target : List.of(List.of("-O", "raw"), List.of("-c", "-O", "qcow2"))) {
            assertCleanFailure(cut, target);
        }
    }

    @ParameterizedTest(name = "corrupted {0}")
    @MethodSource("packed")
    void corruptedFileIsAOneLineError(ContainerFiles.Packed p) throws IOException {
        Path src = dir.resolve(p.file());
        Path bad = dir.resolve("bad-" + p.file());
        Files.copy(src, bad, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(bad, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xff, 0x13, (byte) 0xa5, 0, (byte) 0xff, 0x77, 1, 2}),
                    ch.size() / 2);
        }
        assertThat(ContainerFiles.sh0("! " + decompressor(p) + " " + bad.getFileName() + " > /dev/null 2>&1"))
                .as("the tool itself refuses the corrupted file").isTrue();
        assertCleanFailure(bad, List.of("-O", "qcow2"));
    }

    private static String decompressor(ContainerFiles.Packed p) {
        String f = p.file();
        return f.endsWith(".xz") ? "xz -dc" : f.endsWith(".gz") ? "gzip -dc" : f.endsWith(".bz2") ? "bzip2 -dc"
                : f.endsWith(".zst") ? "zstd -qdc" : "lz4 -qdc";
    }

    private static void assertCleanFailure(Path file, List<String> target) throws IOException {
        Path out = dir.resolve("out-of-" + file.getFileName() + "-" + target.size());
        Files.deleteIfExists(out);
        String[] args = Stream.concat(Stream.concat(Stream.of("convert"), target.stream()),
                Stream.of(file.toString(), out.toString())).toArray(String[]::new);
        ProcResult r = Qimg.inProcess(args);
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderrLines()).as(r.describe()).hasSize(1);
        assertThat(r.stderr()).startsWith("qimg: " + file + ": offset ");
        assertThat(STACK_FRAME.matcher(r.stderr()).find()).as("stack trace").isFalse();
        assertThat(out).as("no DST after a failed convert").doesNotExist();
        String env = System.getenv("TMPDIR");
        Path tmp = Path.of(env != null && !env.isBlank() ? env : System.getProperty("java.io.tmpdir"));
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.filter(x -> x.getFileName().toString().startsWith("qimg-unpacked-")))
                    .as("temporary copies left").isEmpty();
        }
    }
}
