package org.qimg.format.probe;

import static org.qimg.format.probe.ProbeBytes.at;
import static org.qimg.format.probe.ProbeBytes.be16;
import static org.qimg.format.probe.ProbeBytes.be32;
import static org.qimg.format.probe.ProbeBytes.le32;

import java.util.List;
import java.util.Optional;
import org.qimg.format.probe.Signature.Kind;

/**
 * The signatures of every format QEMU 7.2 probes that qimg does not read, with QEMU's scores, and of the
 * compressed streams and archives disk images are commonly shipped in. Each rule below restates the
 * {@code *_probe} function of the QEMU driver it names (checked against QEMU 7.2's block/ sources); rules
 * QEMU does not have are marked as qimg's own and score {@link #QIMG_ONLY}.
 */
public final class Signatures {
    /**
     * Score of a signature QEMU does not probe (QEMU reads such files as raw): above QEMU's weak guesses
     * (2: a .dmg file name, the cloop script) and raw (1), below every QEMU magic-number match (100).
     */
    public static final int QIMG_ONLY = 50;

    private static final String CLOOP_V2 = "#!/bin/sh\n#V2.0 Format\n"
            + "modprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n";

    private static final List<Signature> TABLE = List.of(
            // block/qcow.c: "QFI\xfb" and version 1 (qcow2 is the same magic with version >= 2)
            image("qcow", 100, "signature", "a QEMU qcow (version 1) image",
                    b -> at(b.head(), 0, "QFI\u00fb") && be32(b.head(), 4) == 1),
            // vmdk (KDMV, COWD, text descriptors) is read by qimg: org.qimg.format.vmdk.VmdkFormat probes it
            // block/vdi.c: little-endian signature 0xbeda107f at offset 0x40
            image("vdi", 100, "signature", "a VirtualBox VDI image", b -> le32(b.head(), 0x40) == 0xbeda107fL),
            // block/vhdx.c: file type identifier "vhdxfile" at 0
            image("vhdx", 100, "signature", "a Hyper-V VHDX image", b -> at(b.head(), 0, "vhdxfile")),
            // block/vpc.c: "conectix" at 0 (the copy of the footer a dynamic or differencing VHD starts with)
            image("vpc", 100, "signature", "a VHD image", b -> at(b.head(), 0, "conectix")),
            // block/qed.c: little-endian magic "QED\0"
            image("qed", 100, "signature", "a QED image", b -> at(b.head(), 0, "QED\0")),
            // block/parallels.c: one of two 16-byte magics and little-endian version 2
            image("parallels", 100, "signature", "a Parallels image",
                    b -> (at(b.head(), 0, "WithoutFreeSpace") || at(b.head(), 0, "WithouFreSpacExt"))
                            && le32(b.head(), 16) == 2),
            // block/bochs.c: three NUL-terminated strings and version 1 or 2
            image("bochs", 100, "signature", "a Bochs image",
                    b -> at(b.head(), 0, "Bochs Virtual HD Image\0") && at(b.head(), 32, "Redolog\0")
                            && at(b.head(), 48, "Growing\0")
                            && (le32(b.head(), 64) == 0x00020000L || le32(b.head(), 64) == 0x00010000L)),
            // crypto/block-luks.c: "LUKS\xba\xbe" and big-endian version 1
            image("luks", 100, "signature", "a LUKS-encrypted volume",
                    b -> at(b.head(), 0, "LUKS\u00ba\u00be") && be16(b.head(), 6) == 1),
            // block/dmg.c: only the file name: longer than 4 characters and ending in ".dmg" (score 2);
            // qemu-img 7.2 picks dmg over cloop for a cloop file named *.dmg, so dmg comes first
            image("dmg", 2, "file name", "an Apple disk image",
                    b -> b.fileName() != null && b.fileName().length() > 4 && b.fileName().endsWith(".dmg")),
            // block/cloop.c: the start of the cloop v2.0 shell-script header (score 2)
            image("cloop", 2, "signature", "a cloop image", b -> at(b.head(), 0, CLOOP_V2)),
            // qimg's own: LUKS2, which QEMU 7.2 cannot open and probes as raw
            image("luks", QIMG_ONLY, "signature", "a LUKS2-encrypted volume",
                    b -> at(b.head(), 0, "LUKS\u00ba\u00be") && be16(b.head(), 6) == 2),
            // qimg's own: a fixed VHD is the disk followed by a 512-byte footer; QEMU probes it as raw
            image("vpc", QIMG_ONLY, "footer", "a fixed VHD image", b -> VhdFooter.valid(b.tail())),
            // qimg's own: a DMG ends in a 512-byte "koly" trailer (UDIF), version 4, header size 512
            image("dmg", QIMG_ONLY, "trailer", "an Apple disk image",
                    b -> at(b.tail(), 0, "koly") && be32(b.tail(), 4) == 4 && be32(b.tail(), 8) == 512),
            // containers (qimg's own; QEMU reads all of them as raw)
            compressed("xz", "an xz-compressed file", b -> at(b.head(), 0, "\u00fd7zXZ\0")),
            compressed("gzip", "a gzip-compressed file", b -> at(b.head(), 0, "\u001f\u008b\u0008")),
            compressed("bzip2", "a bzip2-compressed file", Signatures::bzip2),
            compressed("zstd", "a zstd-compressed file", b -> at(b.head(), 0, "\u0028\u00b5\u002f\u00fd")),
            compressed("lz4", "an lz4-compressed file",
                    b -> at(b.head(), 0, "\u0004\"M\u0018") || at(b.head(), 0, "\u0002!L\u0018")),
            // zstd and lz4 share the skippable frame magic 0x184D2A50..5F (little-endian)
            compressed("zstd", "a zstd- or lz4-compressed file (it starts with a skippable frame)",
                    b -> (le32(b.head(), 0) & 0xfffffff0L) == 0x184d2a50L),
            new Signature("tar", Kind.ARCHIVE, QIMG_ONLY, "signature", "a tar archive", TarHeader::valid));

    private Signatures() {
    }

    private static Signature image(String name, int score, String evidence, String what,
                                   java.util.function.Predicate<ProbeBytes> test) {
        return new Signature(name, Kind.IMAGE, score, evidence, what, test);
    }

    private static Signature compressed(String name, String what, java.util.function.Predicate<ProbeBytes> test) {
        return new Signature(name, Kind.COMPRESSED, QIMG_ONLY, "signature", what, test);
    }

    /** "BZh", a block size digit, then the magic of a block (pi) or of the end of an empty stream (sqrt pi). */
    private static boolean bzip2(ProbeBytes b) {
        byte[] h = b.head();
        return at(h, 0, "BZh") && h[3] >= '1' && h[3] <= '9'
                && (at(h, 4, "\u0031\u0041\u0059\u0026\u0053\u0059")
                        || at(h, 4, "\u0017\u0072\u0045\u0038\u0050\u0090"));
    }

    /** Every signature, in the order ties are broken (the first of equal scores wins). */
    public static List<Signature> all() {
        return TABLE;
    }

    /** The best-scoring signature that matches, or empty. */
    public static Optional<Signature> best(ProbeBytes bytes) {
        Signature best = null;
        for (Signature s : TABLE) {
            if ((best == null || s.score() > best.score()) && s.matches(bytes)) {
                best = s;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The image format QEMU knows by {@code name} (as {@code -f} spells it) that qimg does not read. */
    public static Optional<Signature> imageFormat(String name) {
        return TABLE.stream().filter(s -> s.kind() == Kind.IMAGE && s.name().equals(name)).findFirst();
    }
}
