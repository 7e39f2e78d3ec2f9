package org.qimg.format;

import java.nio.file.Path;
import java.util.List;

/**
 * How to open an image.
 *
 * @param openBacking whether to open the backing chain (reads of unallocated ranges need it)
 * @param chain       real paths of the overlays already open above this one, outermost first; used to
 *                    refuse loops and chains deeper than {@link #MAX_CHAIN_DEPTH}
 * @param cacheBytes  budget for metadata caches (L2 tables) of this layer
 * @param guestData   whether guest data will be read or mapped; false (as {@code qemu-img info}) leaves files
 *                    that hold only guest data, such as a qcow2 external data file, unopened: the image
 *                    answers {@link DiskImage#info()} but refuses reads and extent queries
 */
public record OpenOptions(boolean openBacking, List<Path> chain, long cacheBytes, boolean guestData) {
    public static final int MAX_CHAIN_DEPTH = 64;
    public static final long DEFAULT_CACHE_BYTES = 32L << 20;
    public static final OpenOptions DEFAULT = new OpenOptions(true, List.of(), DEFAULT_CACHE_BYTES, true);

    public OpenOptions {
        chain = List.copyOf(chain);
    }

    /** Options that read guest data (the form callers used before {@code guestData} existed). */
    public OpenOptions(boolean openBacking, List<Path> chain, long cacheBytes) {
        this(openBacking, chain, cacheBytes, true);
    }

    public OpenOptions withoutBacking() {
        return new OpenOptions(false, chain, cacheBytes, guestData);
    }

    /** Options for reading only metadata, as {@code qemu-img info} does: no guest data files are opened. */
    public OpenOptions metadataOnly() {
        return new OpenOptions(openBacking, chain, cacheBytes, false);
    }

    /** Options for opening the backing file of the image at {@code overlay}. */
    public OpenOptions below(Path overlay) {
        List<Path> next = new java.util.ArrayList<>(chain);
        next.add(overlay);
        return new OpenOptions(openBacking, next, cacheBytes, guestData);
    }
}
