package org.qimg.format.qcow2.check;

import java.util.function.Consumer;

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
