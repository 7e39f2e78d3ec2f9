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
 * @param guestData   whether guest data will be read or mapped; false (as {@code qemu-img info}) leaves files
 *                    that hold only guest data, such as a qcow2 external data file, unopened: the image
 *                    answers {@link DiskImage#info()} but refuses reads and extent queries
 * @param lock        the permissions this open asks of the image, as qemu-img's commands ask them
 *                    ({@link LockPerms#READ} by default); the format turns them into QEMU's locks on its
 *                    file(s), held until the image is closed. Backing files are opened for reading, sharing
 *                    what this layer shares (convert's sources refuse writers of their backing files too)
 * @param forceShare  {@code -U}: share every permission with other processes (the whole chain)
 * @param dataFile    the external data file named by options ({@code --image-opts data-file.filename=}),
 *                    used instead of the one the image's header names; null for the header's
 * @param backingFile the backing file named by options ({@code --image-opts backing.file.filename=}), used
 *                    instead of the name in the image's header (this layer only; the header's backing format
 *                    still applies); null for the header's
 */
public record OpenOptions(boolean openBacking, List<Path> chain, long cacheBytes, boolean guestData, LockPerms lock,
                          boolean forceShare, Path dataFile, Path backingFile) {
    public static final int MAX_CHAIN_DEPTH = 64;
    public static final long DEFAULT_CACHE_BYTES = 32L << 20;
    public static final OpenOptions DEFAULT = new OpenOptions(true, List.of(), DEFAULT_CACHE_BYTES);

    public OpenOptions {
        chain = List.copyOf(chain);
        java.util.Objects.requireNonNull(lock, "lock");
    }

    /** Options with the data file the image's header names. */
    public OpenOptions(boolean openBacking, List<Path> chain, long cacheBytes, boolean guestData, LockPerms lock,
            boolean forceShare) {
        this(openBacking, chain, cacheBytes, guestData, lock, forceShare, null, null);
    }

    /** Options that read guest data, asking to read and sharing what readers share. */
    public OpenOptions(boolean openBacking, List<Path> chain, long cacheBytes) {
        this(openBacking, chain, cacheBytes, true, LockPerms.READ, false);
    }

    public OpenOptions withoutBacking() {
        return new OpenOptions(false, chain, cacheBytes, guestData, lock, forceShare, dataFile, backingFile);
    }

    /** Options for reading only metadata, as {@code qemu-img info} does: no guest data files are opened. */
    public OpenOptions metadataOnly() {
        return new OpenOptions(openBacking, chain, cacheBytes, false, lock, forceShare, dataFile, backingFile);
    }

    /** The same options asking {@code perms} of this layer. */
    public OpenOptions withLock(LockPerms perms) {
        return new OpenOptions(openBacking, chain, cacheBytes, guestData, perms, forceShare, dataFile, backingFile);
    }

    /** With {@code force} ({@code -U}): share every permission with other processes. */
    public OpenOptions forceShare(boolean force) {
        return new OpenOptions(openBacking, chain, cacheBytes, guestData, lock, force, dataFile, backingFile);
    }

    /** The same options with the external data file {@code file} (null: the one the header names). */
    public OpenOptions withDataFile(Path file) {
        return new OpenOptions(openBacking, chain, cacheBytes, guestData, lock, forceShare, file, backingFile);
    }

    /** The same options with the backing file {@code file} in place of the header's (null: the header's). */
    public OpenOptions withBackingFile(Path file) {
        return new OpenOptions(openBacking, chain, cacheBytes, guestData, lock, forceShare, dataFile, file);
    }

    /** Options for opening the backing file of the image at {@code overlay}. */
    public OpenOptions below(Path overlay) {
        List<Path> next = new java.util.ArrayList<>(chain);
        next.add(overlay);
        LockPerms backing = new LockPerms(LockPerms.CONSISTENT_READ, lock.shared());
        return new OpenOptions(openBacking, next, cacheBytes, guestData, backing, forceShare);
    }
}
