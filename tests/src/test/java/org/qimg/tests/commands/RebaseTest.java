package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;

/**
 * {@code qimg rebase} against {@code qemu-img rebase} on two copies of the same backing chain: same stdout
 * (with {@code -p}, qemu-img's progress lines), stderr and exit code; afterwards qimg's overlay passes
 * {@code qemu-img check}, reads as qemu-img's through its new backing file ({@code qemu-img compare}), names
 * the same backing file and format, and where the files are expected to match, is byte for byte qemu-img's.
 */
class RebaseTest {
    /** sub/b.qcow2 and sub/b2.qcow2 differ here and there; sub/o.qcow2 over sub/b.qcow2 has data of its own. */
    static final String CHAIN = chain("64M", "64M", "", "");

    static String chain(String baseSize, String newSize, String overlayOptions, String overlaySize) {
        return "img create -q -f qcow2 sub/b.qcow2 " + baseSize
                + ";io qcow2 sub/b.qcow2 write -P 7 0 10M;io qcow2 sub/b.qcow2 write -P 8 30M 1M"
                + ";img create -q -f qcow2 sub/b2.qcow2 " + newSize
                + ";io qcow2 sub/b2.qcow2 write -P 9 5M 10M;io qcow2 sub/b2.qcow2 write -P 7 16M 512"
                + ";img create -q -f qcow2 " + overlayOptions + " -b b.qcow2 -F qcow2 sub/o.qcow2 " + overlaySize
                + ";io qcow2 sub/o.qcow2 write -P 1 0 1M;io qcow2 sub/o.qcow2 write -P 2 20M 3M";
    }

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** name, chain script, rebase arguments, whether the overlay is byte for byte qemu-img's. */
    static Stream<Arguments> cases() {
        String small = chain("40M", "64M", "", "64M");
        String v2 = chain("64M", "64M", "-o compat=0.10", "");
        String tiny = chain("64M", "64M", "-o cluster_size=512", "");
        String raw = CHAIN + ";img convert -O raw sub/b2.qcow2 sub/b2.raw";
        String mid = CHAIN + ";img create -q -f qcow2 -b b.qcow2 -F qcow2 sub/m.qcow2;io qcow2 sub/m.qcow2 "
                + "write -P 4 8M 4M;img rebase -u -b m.qcow2 -F qcow2 sub/o.qcow2";
        return Stream.of(
                c("safe", CHAIN, "-b b2.qcow2 -F qcow2 sub/o.qcow2", true),
                c("safe-progress", CHAIN, "-p -b b2.qcow2 -F qcow2 sub/o.qcow2", true),
                c("safe-quiet-progress", CHAIN, "-q -p -b b2.qcow2 -F qcow2 sub/o.qcow2", true),
                c("same-backing", CHAIN, "-b b.qcow2 -F qcow2 sub/o.qcow2", true),
                c("flatten", CHAIN, "-b '' sub/o.qcow2", true),
                c("flatten-progress", CHAIN, "-p -b '' sub/o.qcow2", true),
                c("flatten-v2", v2, "-b '' sub/o.qcow2", true),
                c("old-backing-shorter", small, "-p -b b2.qcow2 -F qcow2 sub/o.qcow2", true),
                c("new-backing-shorter", chain("64M", "20M", "", ""), "-b b2.qcow2 -F qcow2 sub/o.qcow2", true),
                c("v2", v2, "-b b2.qcow2 -F qcow2 sub/o.qcow2", true),
                c("512-byte-clusters", tiny, "-p -b b2.qcow2 -F qcow2 sub/o.qcow2", false),
                c("raw-new-backing", raw, "-b b2.raw -F raw sub/o.qcow2", true),
                c("onto-chain-member", mid, "-b b.qcow2 -F qcow2 sub/o.qcow2", true),
                c("unsafe", CHAIN, "-u -b b2.qcow2 -F qcow2 sub/o.qcow2", true),
                c("unsafe-no-backing", CHAIN, "-u sub/o.qcow2", true),
                c("unsafe-missing-file", CHAIN, "-u -b nowhere.qcow2 -F qcow2 sub/o.qcow2", true),
                c("unsafe-name-too-long-for-512", tiny, "-u -b " + "x".repeat(400) + " -F qcow2 sub/o.qcow2", true),
                c("unsafe-name-over-1023", CHAIN, "-u -b " + "x".repeat(1024) + " -F qcow2 sub/o.qcow2", true),
                c("no-format", CHAIN, "-b b2.qcow2 sub/o.qcow2", true),
                c("unsafe-no-format", CHAIN, "-u -b b2.qcow2 sub/o.qcow2", true),
                c("bad-format", CHAIN, "-b b2.qcow2 -F nosuch sub/o.qcow2", true),
                c("missing-new-backing", CHAIN, "-b nowhere.qcow2 -F qcow2 sub/o.qcow2", true),
                c("missing-image", CHAIN, "-b b2.qcow2 -F qcow2 sub/nowhere.qcow2", true),
                c("raw-image", CHAIN, "-f raw -b b2.qcow2 -F qcow2 sub/b.qcow2", true),
                c("no-backing-option", CHAIN, "sub/o.qcow2", true),
                c("two-files", CHAIN, "-u sub/o.qcow2 sub/b.qcow2", true),
                c("no-file", CHAIN, "-u", true),
                c("bad-cache", CHAIN, "-t bogus -b b2.qcow2 -F qcow2 sub/o.qcow2", true),
                c("bad-source-cache", CHAIN, "-T bogus -b b2.qcow2 -F qcow2 sub/o.qcow2", true),
                c("unknown-option", CHAIN, "-x -b b2.qcow2 sub/o.qcow2", true),
                c("missing-argument", CHAIN, "sub/o.qcow2 -b", true),
                c("options-after-file", CHAIN, "sub/o.qcow2 -b b2.qcow2 -F qcow2", true));
    }

    private static Arguments c(String name, String script, String args, boolean exact) {
        return Arguments.of(name, script, args, exact);
    }

    @ParameterizedTest(name = "{0}: rebase {2}")
    @MethodSource("cases")
    void sameAsQemuImg(String name, String script, String args, boolean exact) {
        ChainTwin t = ChainTwin.of("rebase-" + name, script);
        String[] words = ChainTwin.words("rebase " + args);
        t.same(words);
        t.checkedAndEqual("sub/o.qcow2", "sub/b.qcow2", "sub/b2.qcow2");
        if (exact) {
            t.sameBytes("sub/o.qcow2");
        }
    }

    /**
     * {@code -c} (qemu-img 8.2's, absent from 7.2): the clusters written are compressed; the content is what
     * qemu-img's uncompressed rebase gives.
     */
    @Test
    void compressedWrites() {
        ChainTwin t = ChainTwin.of("rebase-compressed", CHAIN);
        t.qemuImg("rebase", "-b", "b2.qcow2", "-F", "qcow2", "sub/o.qcow2").requireSuccess();
        ProcResult m = t.qimg("rebase", "-c", "-b", "b2.qcow2", "-F", "qcow2", "sub/o.qcow2");
        assertThat(m.exitCode()).as(m.describe()).isZero();
        t.checkedAndEqual("sub/o.qcow2");
        ProcResult check = t.qemuImg("check", t.b.resolve("sub/o.qcow2").toString());
        assertThat(check.stdout()).doesNotContain(" 0.00% compressed clusters");
    }

    /**
     * An image whose header has a field qimg does not know (header_length 120) and an extension of an unknown
     * type: QEMU keeps both when it writes the header again; so must qimg, byte for byte.
     */
    @Test
    void unknownHeaderFieldsAndExtensionsAreKept() throws java.io.IOException {
        ChainTwin t = ChainTwin.of("rebase-unknown-header", "img create -q -f qcow2 sub/b.qcow2 1M"
                + ";img create -q -f qcow2 sub/o.qcow2 1M;io qcow2 sub/o.qcow2 write -P 1 0 64k");
        for (java.nio.file.Path dir : java.util.List.of(t.a, t.b)) {
            java.nio.file.Path img = dir.resolve("sub/o.qcow2");
            byte[] f = java.nio.file.Files.readAllBytes(img);
            java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(f);
            assertThat(h.getInt(100)).as("header_length of a fresh image").isEqualTo(112);
            byte[] extensions = java.util.Arrays.copyOfRange(f, 112, 112 + 8 + 384); // the feature name table
            java.nio.ByteBuffer n = java.nio.ByteBuffer.wrap(f);
            n.putInt(100, 120); // header_length: 8 bytes of a field from the future
            n.position(112);
            n.put(new byte[] {(byte) 0xaa, (byte) 0xbb, (byte) 0xcc, (byte) 0xdd, 1, 2, 3, 4});
            n.putInt(0x12345678).putInt(5).put("hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                    .put(new byte[3]); // an unknown extension, padded to 8
            n.put(extensions);
            n.put(new byte[8]); // end of extensions
            java.nio.file.Files.write(img, f);
        }
        t.same("rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", "sub/o.qcow2");
        t.checkedAndEqual("sub/o.qcow2");
        t.sameBytes("sub/o.qcow2");
        t.same("rebase", "-b", "", "sub/o.qcow2");
        t.sameBytes("sub/o.qcow2");
    }
}
