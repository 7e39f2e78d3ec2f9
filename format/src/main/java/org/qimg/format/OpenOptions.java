package org.qimg.format;

import java.nio.file.Path;
import java.util.List;
import org.qimg.format.io.LockPerms;

/**
 * How to open an image.
 *
 * @param openBacking whether to open the backing chain (reads of unallocated ranges need it)
 * @param chain       real paths of the overlays already open above this one, outermost first; used to
 *                    refuse loops and chains deeper than {@link #MAX_CHAIN_DEPTH}
 * @param cacheBytes  budget for metadata caches (L2 tables) of this layer
 * @param lock        QEMU's image locks to hold on this layer while it is open ({@link LockPerms#READ} by
 *                    default); backing files are always locked as {@link LockPerms#READ}, sharing everything
 *                    when this layer does ({@code -U})
 */
public record OpenOptions(boolean openBacking, List<Path> chain, long cacheBytes, LockPerms lock) {
    public static final int MAX_CHAIN_DEPTH = 64;
    public static final long DEFAULT_CACHE_BYTES = 32L << 20;
    public static final OpenOptions DEFAULT = new OpenOptions(true, List.of(), DEFAULT_CACHE_BYTES);

    public OpenOptions {
        chain = List.copyOf(chain);
        java.util.Objects.requireNonNull(lock, "lock");
    }

    public OpenOptions(boolean openBacking, List<Path> chain, long cacheBytes) {
        this(openBacking, chain, cacheBytes, LockPerms.READ);
    }

    public OpenOptions withoutBacking() {
        return new OpenOptions(false, chain, cacheBytes, lock);
    }

    /** The same options holding {@code perms} on this layer. */
    public OpenOptions withLock(LockPerms perms) {
        return new OpenOptions(openBacking, chain, cacheBytes, perms);
    }

    /** With {@code force} ({@code -U}): the same permissions, sharing everything with other processes. */
    public OpenOptions forceShare(boolean force) {
        return force ? withLock(lock.forceShared()) : this;
    }

    /** Options for opening the backing file of the image at {@code overlay}. */
    public OpenOptions below(Path overlay) {
        List<Path> next = new java.util.ArrayList<>(chain);
        next.add(overlay);
        LockPerms backing = lock.isEmpty() ? LockPerms.NONE
                : lock.shared() == LockPerms.ALL ? LockPerms.READ.forceShared() : LockPerms.READ;
        return new OpenOptions(openBacking, next, cacheBytes, backing);
    }
}
