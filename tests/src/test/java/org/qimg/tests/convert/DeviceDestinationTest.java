package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.FileKind;
import org.qimg.tests.support.LoopDevice;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Devices, FIFOs and sockets as convert DST (and as the file of {@code create}), against qemu-img 7.2 doing the
 * same: a block device is written in place and afterwards reads exactly as the twin device qemu-img wrote
 * (same garbage before, so zero ranges and bytes past the image are compared too); refusals have qemu-img's
 * exit code and message; no such node is ever replaced by a regular file. Needs root and loop devices (CI runs
 * as root); the loop devices are attached here and always detached.
 */
class DeviceDestinationTest {
    private static final long MIB = 1 << 20;
    private static final Duration FIFO_TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private Qemu qemu;
    private Path src;
    private final List<LoopDevice> loops = new ArrayList<>();

    @BeforeEach
    void source() {
        Qemu.assumeInstalled();
        qemu = new Qemu(dir);
        src = dir.resolve("src.raw");
        Content.writeMixed(src, 8 * MIB, 5); // holes, zero blocks, random and compressible data
    }

    @AfterEach
    void detach() {
        for (LoopDevice l : loops) {
            l.close();
        }
    }

    /** A loop device of {@code size} bytes full of the garbage {@code seed} gives. */
    private LoopDevice device(String name, long size, long seed) throws IOException {
        LoopDevice.assumeAvailable();
        Path backing = dir.resolve(name);
        byte[] b = new byte[(int) MIB];
        SplittableRandom r = new SplittableRandom(seed);
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            for (long off = 0; off < size; off += b.length) {
                for (int i = 0; i < b.length; i += 8) {
                    long v = r.nextLong();
                    for (int k = 0; k < 8; k++) {
                        b[i + k] = (byte) (v >>> (8 * k));
                    }
                }
                f.write(b, 0, (int) Math.min(b.length, size - off));
            }
        }
        LoopDevice l = LoopDevice.attach(backing);
        loops.add(l);
        return l;
    }

    private static String s(Path p) {
        return p.toString();
    }

    /** qemu-img's stderr as qimg prints it. */
    private static String asQimg(ProcResult qemuResult) {
        return qemuResult.stderr().replace("qemu-img: ", "qimg: ");
    }

    private static void assertSameRefusal(ProcResult qemuResult, ProcResult qimgResult) {
        assertThat(qemuResult.exitCode()).as(qemuResult.describe()).isEqualTo(1);
        assertThat(qimgResult.exitCode()).as(qimgResult.describe()).isEqualTo(qemuResult.exitCode());
        assertThat(qimgResult.stderr()).isEqualTo(asQimg(qemuResult));
    }

    private static void assertSameDeviceBytes(LoopDevice byQemu, LoopDevice byQimg) {
        String a = Digests.md5(byQemu.path());
        String b = Digests.md5(byQimg.path());
        if (!a.equals(b)) {
            throw new AssertionError("device written by qimg differs from qemu-img's at byte "
                    + Digests.firstDifference(byQemu.path(), byQimg.path()));
        }
    }

    static Stream<Arguments> targets() {
        List<Arguments> a = new ArrayList<>();
        // the 8 MiB source fills an 8 MiB device as raw; as qcow2 it needs room for metadata too
        a.add(Arguments.of("raw", 8 * MIB));
        for (String t : new String[] {"raw", "qcow2", "qcow2 -c"}) {
            a.add(Arguments.of(t, 12 * MIB));
        }
        return a.stream();
    }

    private static List<String> convertArgs(String target, String... files) {
        List<String> args = new ArrayList<>(List.of("convert", "-f", "raw"));
        String[] t = target.split(" ");
        args.add("-O");
        args.add(t[0]);
        args.addAll(List.of(t).subList(1, t.length));
        args.addAll(List.of(files));
        return args;
    }

    @ParameterizedTest(name = "{0} into a {1}-byte device")
    @MethodSource("targets")
    void blockDeviceIsWrittenInPlaceExactlyAsQemuImgWritesIt(String target, long deviceSize) throws Exception {
        LoopDevice byQemu = device("qemu.dev", deviceSize, 77);
        LoopDevice byQimg = device("qimg.dev", deviceSize, 77);
        qemu.img(convertArgs(target, s(src), s(byQemu.path())).toArray(String[]::new));
        ProcResult r = Qimg.inProcess(convertArgs(target, s(src), s(byQimg.path())).toArray(String[]::new));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(FileKind.of(byQimg.path())).isEqualTo("block");
        assertSameDeviceBytes(byQemu, byQimg);
        if (target.startsWith("qcow2")) {
            assertThat(qemu.imgResult("check", "-f", "qcow2", s(byQimg.path())).exitCode()).isZero();
        }
        String fmt = target.split(" ")[0];
        assertThat(qemu.imgResult("compare", "-f", "raw", "-F", fmt, s(src), s(byQimg.path())).exitCode())
                .as("guest content (a raw device larger than the source keeps its old bytes past it)")
                .isEqualTo(fmt.equals("raw") && deviceSize > 8 * MIB ? 1 : 0);
    }

    /**
     * Preallocated clusters point at device space that holds old bytes: the zero ones must be written (qemu-img
     * zeroes them as well, then frees them, so only the guest content is compared here).
     */
    @ParameterizedTest(name = "-o {0}")
    @ValueSource(strings = {"preallocation=metadata", "compat=0.10,preallocation=metadata",
        "preallocation=metadata,extended_l2=on"})
    void preallocatedQcow2IntoABlockDeviceReadsNoneOfItsOldBytes(String options) throws Exception {
        LoopDevice dev = device("dev", 12 * MIB, 13);
        ProcResult r = Qimg.inProcess("convert", "-f", "raw", "-O", "qcow2", "-o", options, s(src), s(dev.path()));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(qemu.imgResult("check", "-f", "qcow2", s(dev.path())).exitCode()).isZero();
        ProcResult cmp = qemu.imgResult("compare", "-f", "raw", "-F", "qcow2", s(src), s(dev.path()));
        assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
    }

    @ParameterizedTest(name = "-O {0}")
    @ValueSource(strings = {"raw", "qcow2"})
    void verifyReadsBackWhatWasWrittenIntoALargerDevice(String fmt) throws Exception {
        LoopDevice dev = device("dev", 12 * MIB, 12);
        ProcResult r = Qimg.inProcess("convert", "--verify", "-f", "raw", "-O", fmt, s(src), s(dev.path()));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(FileKind.of(dev.path())).isEqualTo("block");
    }

    @Test
    void rawLargerThanTheBlockDeviceIsRefusedBeforeWritingAsQemuImgRefusesIt() throws Exception {
        LoopDevice small = device("small.dev", 4 * MIB, 3);
        String before = Digests.md5(small.path());
        ProcResult q = qemu.imgResult("convert", "-f", "raw", "-O", "raw", s(src), s(small.path()));
        ProcResult r = Qimg.inProcess("convert", "-f", "raw", "-O", "raw", s(src), s(small.path()));
        assertSameRefusal(q, r);
        assertThat(r.stderr()).isEqualTo("qimg: " + small + ": error while converting raw: Cannot grow device files\n");
        assertThat(Digests.md5(small.path())).isEqualTo(before);
        assertThat(FileKind.of(small.path())).isEqualTo("block");
    }

    @Test
    void qcow2ThatOutgrowsTheBlockDeviceFailsWithNoSpaceLeftNamingTheDevice() throws Exception {
        Path random = dir.resolve("random.raw");
        Content.writeRandomAt(random, 0, (int) (8 * MIB), 9); // incompressible, every cluster allocated
        LoopDevice byQemu = device("qemu.dev", 4 * MIB, 3);
        LoopDevice byQimg = device("qimg.dev", 4 * MIB, 3);
        ProcResult q = qemu.imgResult("convert", "-f", "raw", "-O", "qcow2", s(random), s(byQemu.path()));
        ProcResult r = Qimg.inProcess("convert", "-f", "raw", "-O", "qcow2", s(random), s(byQimg.path()));
        assertThat(q.exitCode()).as(q.describe()).isEqualTo(1);
        assertThat(q.stderr()).matches("qemu-img: error while writing at byte \\d+: No space left on device\\n");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr()).matches("qimg: '" + byQimg + "': error while writing at byte \\d+: No space left on"
                + " device\\n");
        assertThat(FileKind.of(byQimg.path())).isEqualTo("block");
    }

    @ParameterizedTest(name = "-O {0}")
    @ValueSource(strings = {"raw", "qcow2"})
    void inPlaceIntoABlockDeviceIsWhatQemuImgWrites(String fmt) throws Exception {
        LoopDevice byQemu = device("qemu.dev", 12 * MIB, 8);
        LoopDevice byQimg = device("qimg.dev", 12 * MIB, 8);
        Path other = dir.resolve("other.raw");
        Content.writeMixed(other, 8 * MIB, 6);
        // an existing image on both devices (for qcow2), then -n with different content
        if (fmt.equals("qcow2")) {
            qemu.img("convert", "-f", "raw", "-O", "qcow2", s(other), s(byQemu.path()));
            qemu.img("convert", "-f", "raw", "-O", "qcow2", s(other), s(byQimg.path()));
        }
        qemu.img("convert", "-n", "-f", "raw", "-O", fmt, s(src), s(byQemu.path()));
        ProcResult r = Qimg.inProcess("convert", "-n", "-f", "raw", "-O", fmt, s(src), s(byQimg.path()));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(FileKind.of(byQimg.path())).isEqualTo("block");
        assertSameDeviceBytes(byQemu, byQimg);
    }

    @Test
    void inPlaceRawIntoASmallerBlockDeviceIsRefusedAsQemuImgRefusesIt() throws Exception {
        LoopDevice small = device("small.dev", 4 * MIB, 3);
        String before = Digests.md5(small.path());
        ProcResult q = qemu.imgResult("convert", "-n", "-f", "raw", "-O", "raw", s(src), s(small.path()));
        ProcResult r = Qimg.inProcess("convert", "-n", "-f", "raw", "-O", "raw", s(src), s(small.path()));
        assertSameRefusal(q, r);
        assertThat(Digests.md5(small.path())).isEqualTo(before);
    }

    /** A node like /dev/null (character device 1:3), made here. */
    private Path nullDevice() {
        LoopDevice.assumeAvailable(); // root
        Path p = dir.resolve("null");
        Proc.ok(dir, "mknod", s(p), "c", "1", "3");
        return p;
    }

    private static void assertStillNull(Path p) {
        assertThat(FileKind.of(p)).isEqualTo("char");
        assertThat(FileKind.deviceNumber(p)).isEqualTo("1:3");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-O raw", "-O qcow2", "-n -O raw", "-n -O qcow2"})
    void characterDeviceIsRefusedAsQemuImgRefusesIt(String options) {
        Path dev = nullDevice();
        List<String> args = new ArrayList<>(List.of("convert", "-f", "raw"));
        args.addAll(List.of(options.split(" ")));
        args.add(s(src));
        args.add(s(dev));
        ProcResult q = qemu.imgResult(args.toArray(String[]::new));
        assertStillNull(dev);
        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
        assertSameRefusal(q, r);
        assertStillNull(dev);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-O raw", "-n -O raw", "-O qcow2"})
    void emptySourceIntoACharacterDeviceEndsAsWithQemuImg(String options) throws Exception {
        Path dev = nullDevice();
        Path empty = Files.createFile(dir.resolve("empty.raw"));
        List<String> args = new ArrayList<>(List.of("convert", "-f", "raw"));
        args.addAll(List.of(options.split(" ")));
        args.add(s(empty));
        args.add(s(dev));
        ProcResult q = qemu.imgResult(args.toArray(String[]::new));
        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(q.exitCode());
        assertThat(r.stderr()).isEqualTo(asQimg(q));
        assertStillNull(dev);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-O raw", "-O qcow2", "-n -O raw", "-n -O qcow2"})
    void fifoIsRefusedAsQemuImgRefusesItWithoutBlocking(String options) {
        Path fifo = dir.resolve("fifo");
        Proc.ok(dir, "mkfifo", s(fifo));
        List<String> args = new ArrayList<>(List.of("convert", "-f", "raw"));
        args.addAll(List.of(options.split(" ")));
        args.add(s(src));
        args.add(s(fifo));
        List<String> qemuCmd = new ArrayList<>(List.of(Qemu.QEMU_IMG));
        qemuCmd.addAll(args);
        ProcResult q = Proc.run(dir, qemuCmd, FIFO_TIMEOUT);
        // a separate process: a FIFO without a reader would block an open for writing forever
        ProcResult r = Proc.run(dir, Qimg.command(args.toArray(String[]::new)), FIFO_TIMEOUT);
        assertSameRefusal(q, r);
        assertThat(FileKind.of(fifo)).isEqualTo("fifo");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-O raw", "-O qcow2", "-n -O raw"})
    void socketIsRefusedAsQemuImgRefusesIt(String options) throws Exception {
        Path sock = dir.resolve("sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            List<String> args = new ArrayList<>(List.of("convert", "-f", "raw"));
            args.addAll(List.of(options.split(" ")));
            args.add(s(src));
            args.add(s(sock));
            ProcResult q = qemu.imgResult(args.toArray(String[]::new));
            ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
            assertSameRefusal(q, r);
            assertThat(FileKind.of(sock)).isEqualTo("socket");
        }
    }

    @ParameterizedTest(name = "create -f {0}")
    @ValueSource(strings = {"raw", "qcow2"})
    void createOnABlockDeviceWritesWhatQemuImgWrites(String fmt) throws Exception {
        LoopDevice byQemu = device("qemu.dev", 12 * MIB, 21);
        LoopDevice byQimg = device("qimg.dev", 12 * MIB, 21);
        ProcResult q = qemu.imgResult("create", "-q", "-f", fmt, s(byQemu.path()), "8M");
        ProcResult r = Qimg.inProcess("create", "-q", "-f", fmt, s(byQimg.path()), "8M");
        assertThat(q.exitCode()).as(q.describe()).isZero();
        assertThat(r.exitCode()).as(r.describe()).isZero();
        // qcow2: its metadata from byte 0; raw: only the first sector zeroed; the rest keeps its garbage
        assertSameDeviceBytes(byQemu, byQimg);
        assertThat(FileKind.of(byQimg.path())).isEqualTo("block");
    }

    @Test
    void createOfARawImageLargerThanTheBlockDeviceIsRefusedAsQemuImgRefusesIt() throws Exception {
        LoopDevice dev = device("small.dev", 4 * MIB, 22);
        String before = Digests.md5(dev.path());
        ProcResult q = qemu.imgResult("create", "-q", "-f", "raw", s(dev.path()), "8M");
        ProcResult r = Qimg.inProcess("create", "-q", "-f", "raw", s(dev.path()), "8M");
        assertSameRefusal(q, r);
        assertThat(Digests.md5(dev.path())).isEqualTo(before);
    }

    @ParameterizedTest(name = "create -f {0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"raw,16M", "raw,0", "qcow2,16M"})
    void createOnACharacterDeviceEndsAsWithQemuImg(String fmt, String size) {
        Path dev = nullDevice();
        ProcResult q = qemu.imgResult("create", "-q", "-f", fmt, s(dev), size);
        ProcResult r = Qimg.inProcess("create", "-q", "-f", fmt, s(dev), size);
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(q.exitCode());
        assertThat(r.stderr()).isEqualTo(asQimg(q));
        assertStillNull(dev);
    }

    @ParameterizedTest(name = "create -f {0}")
    @ValueSource(strings = {"raw", "qcow2"})
    void createOnAFifoIsRefusedAsQemuImgRefusesItWithoutBlocking(String fmt) {
        Path fifo = dir.resolve("fifo");
        Proc.ok(dir, "mkfifo", s(fifo));
        ProcResult q = Proc.run(dir, List.of(Qemu.QEMU_IMG, "create", "-q", "-f", fmt, s(fifo), "16M"), FIFO_TIMEOUT);
        // a separate process: opening a FIFO without a writer for reading (to lock it) would block
        ProcResult r = Proc.run(dir, Qimg.command("create", "-q", "-f", fmt, s(fifo), "16M"), FIFO_TIMEOUT);
        assertSameRefusal(q, r);
        assertThat(FileKind.of(fifo)).isEqualTo("fifo");
    }
}
