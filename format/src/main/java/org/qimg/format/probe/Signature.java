package org.qimg.format.probe;

import java.util.function.Predicate;

/**
 * One way to recognise a file that qimg does not read, and the score QEMU's probe gives it.
 *
 * @param name     the format's name as {@code qemu-img -f} spells it, or the container's name (xz, tar ...)
 * @param kind     a disk image format, a compressed stream or an archive
 * @param score    as QEMU's {@code bdrv_probe_all}: the highest score wins, raw scores 1, qcow2 100;
 *                 signatures QEMU does not probe at all score {@link Signatures#QIMG_ONLY}
 * @param evidence what was recognised, for the message ("signature", "footer", "file name")
 * @param what     a noun phrase for the message: "an xz-compressed file", "a VMDK descriptor file"
 * @param test     true when the probe bytes carry this signature
 */
public record Signature(String name, Kind kind, int score, String evidence, String what, Predicate<ProbeBytes> test) {

    /** What sort of file a signature identifies. */
    public enum Kind {
        /** A disk image format QEMU reads and qimg does not (yet). */
        IMAGE,
        /** A compressed stream around some other file. */
        COMPRESSED,
        /** An archive holding files (tar, and OVA which is a tar). */
        ARCHIVE
    }

    public boolean matches(ProbeBytes bytes) {
        return test.test(bytes);
    }
}
