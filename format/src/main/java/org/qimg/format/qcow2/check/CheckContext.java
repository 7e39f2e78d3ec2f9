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

    /** One line as QEMU's qcow2_signal_corruption prints it, once per check. */
    void signalCorruption(String what) {
        if (!corruptionSignalled) {
            corruptionSignalled = true;
            log.accept("qcow2: Image is corrupt: " + what + "; further non-fatal corruption events will be suppressed");
        }
    }
}
