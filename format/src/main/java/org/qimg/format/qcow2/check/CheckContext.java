package org.qimg.format.qcow2.check;

import java.util.function.Consumer;
import org.qimg.format.qcow2.layout.RefcountCodec;

/** State shared by the passes of one check: the file, its header, stored and computed refcounts. */
final class CheckContext {
    final ImageFile file;
    final CheckHeader header;
    final StoredRefcounts stored;
    final Consumer<String> log;
    final CheckMode mode;
    /** The persistent bitmaps, validated when the image was opened. */
    java.util.List<CheckBitmaps.Bitmap> bitmaps = java.util.List.of();
    RefcountArray imrt;
    CheckResult res = new CheckResult();
    boolean corruptionSignalled;
    /** A fatal corruption event while repairing (see {@link #signalCorruption}). */
    boolean unusable;
    /** Metadata cluster ranges [start, end) a repair must not allocate from; see {@link #protect}. */
    private final java.util.TreeMap<Long, Long> protectedRanges = new java.util.TreeMap<>();
    /** Clusters with more references than their refcount width can count (at most {@link #MAX_OVERFLOWS}). */
    private final java.util.Set<Long> overflowed = new java.util.HashSet<>();
    private boolean tooManyOverflows;
    private static final int MAX_OVERFLOWS = 65536;

    CheckContext(ImageFile file, CheckHeader header, StoredRefcounts stored, Consumer<String> log, CheckMode mode) {
        this.file = file;
        this.header = header;
        this.stored = stored;
        this.log = log;
        this.mode = mode;
    }

    int clusterBits() {
        return header.clusterBits;
    }

    long clusterSize() {
        return 1L << header.clusterBits;
    }

    long refcountMax() {
        return RefcountCodec.max(header.refcountOrder);
    }

    /** Remembers that cluster {@code k} has more references than its refcount can hold. */
    void noteOverflow(long k) {
        if (overflowed.size() < MAX_OVERFLOWS) {
            overflowed.add(k);
        } else {
            tooManyOverflows = true;
        }
    }

    /** True when cluster {@code k} may have more references than the computed refcount says. */
    boolean mayBeOverflowed(long k) {
        return tooManyOverflows || overflowed.contains(k);
    }

    /**
     * Marks the clusters [offset, offset + bytes) touches as metadata a repair must not allocate from, even
     * when the check could not count them (a table reaching past the end of the file): QEMU's overlap check
     * refuses such writes (and fails the repair); qimg places its new structures elsewhere.
     */
    void protect(long offset, long bytes) {
        if (bytes <= 0 || offset < 0) {
            return;
        }
        long start = offset >>> clusterBits();
        long last = bytes - 1 > Long.MAX_VALUE - offset ? Long.MAX_VALUE : offset + bytes - 1;
        long end = (last >>> clusterBits()) + 1;
        java.util.Map.Entry<Long, Long> before = protectedRanges.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
            protectedRanges.remove(before.getKey());
        }
        for (java.util.Map.Entry<Long, Long> next = protectedRanges.ceilingEntry(start);
                next != null && next.getKey() <= end; next = protectedRanges.ceilingEntry(start)) {
            end = Math.max(end, next.getValue());
            protectedRanges.remove(next.getKey());
        }
        protectedRanges.put(start, end);
    }

    /** The first cluster after the protected range holding cluster {@code k}, or -1 when it is not protected. */
    long protectedUntil(long k) {
        java.util.Map.Entry<Long, Long> e = protectedRanges.floorEntry(k);
        return e != null && e.getValue() > k ? e.getValue() : -1;
    }

    void log(String format, Object... args) {
        log.accept(String.format(format, args));
    }

    /**
     * QEMU's qcow2_signal_corruption for a fatal event, once per check. Read-only (no repair) it is one line. When
     * repairing (the image open read-write) the event is fatal as QEMU's: the corrupt bit is set on disk (v3) and
     * the image is marked unusable ({@link CheckResult#unusable()}): the check goes on, but qemu-img's second pass
     * then fails with "No medium found".
     */
    void signalCorruption(String what) throws java.io.IOException {
        if (corruptionSignalled) {
            return;
        }
        corruptionSignalled = true;
        if (!mode.repairs()) {
            log.accept("qcow2: Image is corrupt: " + what + "; further non-fatal corruption events will be suppressed");
            return;
        }
        log.accept("qcow2: Marking image as corrupt: " + what + "; further corruption events will be suppressed");
        unusable = true;
        stored.holdWrites();
        if (header.version >= 3) {
            header.incompatible |= org.qimg.format.qcow2.layout.HeaderLayout.INCOMPAT_CORRUPT;
            file.write(org.qimg.format.qcow2.layout.HeaderLayout.OFF_INCOMPAT,
                    java.nio.ByteBuffer.allocate(8).putLong(0, header.incompatible).array(), 0, 8);
            file.sync();
        }
    }

    /** C's {@code %#x}: "0" for zero (no prefix), else "0x" and the hex digits. */
    static String cHex(long v) {
        return v == 0 ? "0" : "0x" + Long.toHexString(v);
    }
}
