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
 */
public record OpenOptions(boolean openBacking, List<Path> chain, long cacheBytes) {
    public static final int MAX_CHAIN_DEPTH = 64;
    public static final long DEFAULT_CACHE_BYTES = 32L << 20;
    public static final OpenOptions DEFAULT = new OpenOptions(true, List.of(), DEFAULT_CACHE_BYTES);

    public OpenOptions {
        chain = List.copyOf(chain);
    }

    public OpenOptions withoutBacking() {
        return new OpenOptions(false, chain, cacheBytes);
    }

    /** Options for opening the backing file of the image at {@code overlay}. */
    public OpenOptions below(Path overlay) {
        List<Path> next = new java.util.ArrayList<>(chain);
        next.add(overlay);
        return new OpenOptions(openBacking, next, cacheBytes);
    }
}
