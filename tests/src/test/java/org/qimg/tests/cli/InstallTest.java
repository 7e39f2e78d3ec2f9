package org.qimg.tests.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;

/**
 * The install step of the README: after {@code mvn -B package}, {@code ./install.sh PREFIX} installs the
 * packaged archive, and {@code PREFIX/bin/qimg} then runs from any directory, with a man page per command and
 * the completion script beside it; the archive alone installs the same way.
 */
class InstallTest {
    @TempDir
    Path dir;

    @Test
    void installShFromTheCheckoutInstallsARunnableQimg() throws IOException {
        Path prefix = dir.resolve("p");
        Proc.run(dir, "bash", Repo.root().resolve("install.sh").toString(), prefix.toString()).requireSuccess();
        assertInstalled(prefix);
    }

    @Test
    void theArchiveAloneInstallsTheSame() throws IOException {
        Path archive;
        try (Stream<Path> s = Files.list(Repo.root().resolve("cli/target"))) {
            archive = s.filter(p -> p.getFileName().toString().matches("qimg-.*-dist\\.tar\\.gz")).findFirst()
                    .orElseThrow(() -> new AssertionError("mvn package makes cli/target/qimg-VERSION-dist.tar.gz"));
        }
        Path unpacked = dir.resolve("unpacked");
        Files.createDirectories(unpacked);
        Proc.run(unpacked, "tar", "-xzf", archive.toString()).requireSuccess();
        Path top;
        try (Stream<Path> s = Files.list(unpacked)) {
            top = s.findFirst().orElseThrow();
        }
        Path prefix = dir.resolve("q");
        Proc.run(dir, "bash", top.resolve("install.sh").toString(), prefix.toString()).requireSuccess();
        assertInstalled(prefix);
    }

    private void assertInstalled(Path prefix) throws IOException {
        Path qimg = prefix.resolve("bin/qimg");
        assertThat(qimg).isExecutable();
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        ProcResult v = Proc.run(elsewhere, qimg.toString(), "--version").requireSuccess();
        assertThat(v.stdout()).startsWith("qimg version ");
        // through a symbolic link on PATH, as a package manager would place it
        Path link = Files.createSymbolicLink(elsewhere.resolve("qimg-link-" + prefix.getFileName()), qimg);
        ProcResult info = Proc.run(elsewhere, link.toString(), "info", "--output=json",
                Repo.root().resolve("samples/sample.qcow2").toString()).requireSuccess();
        assertThat(info.stdout()).contains("\"virtual-size\": 67108864");
        for (String command : List.of("convert", "compare", "checksum", "info", "map", "create", "measure", "check",
                "analyze")) {
            assertThat(prefix.resolve("share/man/man1/qimg-" + command + ".1")).isRegularFile();
        }
        assertThat(prefix.resolve("share/man/man1/qimg.1")).isRegularFile();
        assertThat(Files.readString(prefix.resolve("share/bash-completion/completions/qimg")))
                .contains("complete -F _complete_qimg");
        assertThat(prefix.resolve("share/qimg/completion/qimg.zsh")).isRegularFile();
    }
}
