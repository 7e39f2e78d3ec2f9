package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/** qimg map / info output against qemu-img's, field by field (and key order where qemu-img fixes it). */
class MapInfoCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void images() throws Exception {
        Proc.ok(dir, "truncate", "-s", "4M", "r.raw");
        Proc.ok(dir, "qemu-io", "-f", "raw", "-c", "write -P 0x11 64k 128k", "-c", "write -P 0 1M 64k",
                "-c", "write -P 0x22 3M 4k", "r.raw");
    }

    private static List<String> keys(JsonNode n) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    /** Compares map/info outputs of both tools for {@code file} (relative to dir, run in dir). */
    private void assertSameAsQemu(String file, String... extra) throws Exception {
        assertMapSameAsQemu(file, extra);
        assertInfoSameAsQemu(file);
    }

    private void assertMapSameAsQemu(String file, String... extra) throws Exception {
        String abs = dir.resolve(file).toString();
        // map: JSON equal entry by entry, and the exact text too; human table identical
        List<String> mapArgs = new ArrayList<>(List.of("map", "--output=json"));
        mapArgs.addAll(List.of(extra));
        List<String> q = new ArrayList<>(List.of("qemu-img"));
        q.addAll(mapArgs);
        q.add(abs);
        String qemuMap = Proc.ok(dir, q.toArray(String[]::new));
        List<String> m = new ArrayList<>(mapArgs);
        m.add(abs);
        ProcResult ours = Qimg.inProcess(m.toArray(String[]::new));
        assertThat(ours.exitCode()).as(ours.stderr()).isZero();
        assertThat(JSON.readTree(ours.stdout())).isEqualTo(JSON.readTree(qemuMap));
        assertThat(ours.stdout()).isEqualTo(qemuMap);

        ProcResult humanOurs = Qimg.inProcess("map", abs);
        ProcResult humanQemu = Proc.run(dir, "qemu-img", "map", abs);
        assertThat(humanOurs.stdout()).isEqualTo(humanQemu.stdout());
        assertThat(humanOurs.exitCode()).isEqualTo(humanQemu.exitCode());
    }

    private void assertInfoSameAsQemu(String file) throws Exception {
        String abs = dir.resolve(file).toString();
        for (String chain : new String[] {null, "--backing-chain"}) {
            List<String> args = new ArrayList<>(List.of("info", "--output=json"));
            if (chain != null) {
                args.add(chain);
            }
            args.add(abs);
            List<String> qa = new ArrayList<>(List.of("qemu-img"));
            qa.addAll(args);
            JsonNode qemu = JSON.readTree(Proc.ok(dir, qa.toArray(String[]::new)));
            ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            JsonNode mine = JSON.readTree(r.stdout());
            assertThat(mine).isEqualTo(qemu);
            if (chain == null) {
                assertThat(keys(mine)).isEqualTo(keys(qemu));
            }
            args.set(1, "--output=human");
            qa.set(2, "--output=human");
            assertThat(Qimg.inProcess(args.toArray(String[]::new)).stdout()).isEqualTo(Proc.ok(dir, qa.toArray(String[]::new)));
        }
    }

    @Test
    void rawWithHoles() throws Exception {
        assertSameAsQemu("r.raw");
    }

    @Test
    void rawWithHolesWindowed() throws Exception {
        assertSameAsQemu("r.raw", "--start-offset", "100000", "--max-length", "1000000");
        assertSameAsQemu("r.raw", "--start-offset", "5M");
    }


    @Test
    void qcow2PlainCompressedZeroAndChainOfThree() throws Exception {
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "p.qcow2", "4M");
        Proc.ok(dir, "qemu-io", "-c", "write -P 0x11 64k 128k", "-c", "write -z 1M 64k", "-c",
                "write -P 0x22 3M 4k", "p.qcow2");
        assertSameAsQemu("p.qcow2");
        // Internal snapshots: info only. (Snapshots make qemu-img 7.2 guess "metadata preallocation" for
        // this sparse file and then split data clusters at host-file holes in map; qimg does not copy
        // that heuristic.)
        Proc.ok(dir, "qemu-img", "snapshot", "-c", "snap1", "p.qcow2");
        Proc.ok(dir, "qemu-img", "snapshot", "-c", "second", "p.qcow2");
        assertInfoSameAsQemu("p.qcow2");
        Proc.ok(dir, "qemu-img", "convert", "-c", "-O", "qcow2", "r.raw", "c.qcow2");
        assertSameAsQemu("c.qcow2");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "base.qcow2", "2M");
        Proc.ok(dir, "qemu-io", "-c", "write -P 1 0 64k", "-c", "write -P 2 1M 64k", "base.qcow2");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "mid.qcow2", "4M");
        Proc.ok(dir, "qemu-io", "-c", "write -P 3 64k 64k", "-c", "write -z 1M 32k", "mid.qcow2");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2", "4M");
        Proc.ok(dir, "qemu-io", "-c", "write -P 4 128k 64k", "-c", "write -P 5 3M 64k", "top.qcow2");
        assertSameAsQemu("top.qcow2");
        assertSameAsQemu("top.qcow2", "-s", "100000", "-l", "1000000");

        Proc.ok(dir, "qemu-img", "convert", "-O", "raw", "top.qcow2", "qemu-top.raw");
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", dir.resolve("top.qcow2").toString(),
                dir.resolve("qimg-top.raw").toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(java.nio.file.Files.mismatch(dir.resolve("qimg-top.raw"), dir.resolve("qemu-top.raw")))
                .isEqualTo(-1L);
    }
}
