package org.qimg.format.io;

import java.util.ArrayList;
import java.util.List;

/**
 * The block permissions an open of an image takes ({@code perm}) and the ones it lets other processes take
 * ({@code shared}), as QEMU 7.2 names them, and the bytes of the image file that stand for them.
 *
 * <p>The constants are what a command asks of an image (qemu-img's block backend); {@link #rawFile} and
 * {@link #qcow2File} are what the format driver then asks of the file, which is what gets locked.
 *
 * <p>QEMU's scheme (its file driver, {@code locking=auto}): permission bit {@code i} is
 * {@linkplain #CONSISTENT_READ consistent read} (0), {@linkplain #WRITE write} (1),
 * {@linkplain #WRITE_UNCHANGED write unchanged} (2) and {@linkplain #RESIZE resize} (3); 7.2 has no fifth
 * ("graph mod") bit any more. Holding permission {@code i} is a shared (read) OFD lock on byte
 * {@code 100 + i}; not sharing it is a shared lock on byte {@code 200 + i}. An open then tests, with an
 * exclusive probe, byte {@code 200 + i} for each permission it wants (someone refuses to share it) and
 * byte {@code 100 + i} for each one it does not share (someone holds it), in that order.
 *
 * @param perm   bit set of the permissions taken
 * @param shared bit set of the permissions others may take
 */
public record LockPerms(int perm, int shared) {
    public static final int CONSISTENT_READ = 1;
    public static final int WRITE = 2;
    public static final int WRITE_UNCHANGED = 4;
    public static final int RESIZE = 8;
    public static final int ALL = 15;
    /** Byte offset of the lock that says "holds permission i". */
    public static final int PERM_BASE = 100;
    /** Byte offset of the lock that says "does not share permission i". */
    public static final int SHARED_BASE = 200;
    private static final String[] NAMES = {"consistent read", "write", "write unchanged", "resize"};

    /** Nothing taken, everything shared: no lock at all. */
    public static final LockPerms NONE = new LockPerms(0, ALL);
    /** qemu-img info: no I/O permission, shares everything (a qcow2 file still refuses to share writes). */
    public static final LockPerms METADATA = new LockPerms(0, ALL);
    /** map, measure, compare, check and other readers: reads, shares everything. */
    public static final LockPerms READ = new LockPerms(CONSISTENT_READ, ALL);
    /** convert's sources: reads and refuses other writers and resizers. */
    public static final LockPerms READ_UNSHARED = new LockPerms(CONSISTENT_READ, CONSISTENT_READ | WRITE_UNCHANGED);
    /** check -r and convert's target: reads and writes, shares everything (a qcow2 file still refuses). */
    public static final LockPerms WRITE_SHARED = new LockPerms(CONSISTENT_READ | WRITE, ALL);
    /** The file driver's create step on an existing file (convert into an existing DST), whatever the format. */
    public static final LockPerms CREATE = new LockPerms(WRITE | RESIZE, ALL & ~RESIZE);

    public LockPerms {
        if ((perm & ~ALL) != 0 || (shared & ~ALL) != 0) {
            throw new IllegalArgumentException("unknown permission bits: perm " + perm + ", shared " + shared);
        }
    }

    /** The same permissions, sharing everything: {@code -U}/{@code --force-share}. */
    public LockPerms forceShared() {
        return new LockPerms(perm, ALL);
    }

    /**
     * The locks on the file of a raw image opened with these permissions: the raw driver passes its user's
     * permissions through unchanged; {@code force} ({@code -U}) shares everything.
     */
    public LockPerms rawFile(boolean force) {
        return force ? forceShared() : this;
    }

    /**
     * The locks on the file of a qcow2 image opened with these permissions: qcow2 reads its metadata whenever
     * it does I/O, and writes and resizes the file when written, and it never shares write or resize of its
     * file, except with {@code force} ({@code -U}), which shares everything.
     */
    public LockPerms qcow2File(boolean force) {
        return new LockPerms(qcow2Perm(), force ? ALL : shared & ~(WRITE | RESIZE));
    }

    /**
     * The locks on a qcow2 image's external data file: as its file, but only resize is never shared; none when
     * the image is opened for metadata only (info).
     */
    public LockPerms qcow2DataFile(boolean force) {
        if (perm == 0) {
            return NONE;
        }
        return new LockPerms(qcow2Perm(), force ? ALL : ALL & ~RESIZE);
    }

    private int qcow2Perm() {
        if (perm == 0) {
            return 0;
        }
        return CONSISTENT_READ | ((perm & WRITE) != 0 ? WRITE | RESIZE : 0);
    }

    /** True when nothing is locked (nothing taken, everything shared). */
    public boolean isEmpty() {
        return perm == 0 && shared == ALL;
    }

    /** The bytes this open holds a shared lock on, ascending: 100 + i per permission, 200 + i per unshared one. */
    public List<Integer> lockedBytes() {
        List<Integer> bytes = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            if ((perm & 1 << i) != 0) {
                bytes.add(PERM_BASE + i);
            }
        }
        for (int i = 0; i < NAMES.length; i++) {
            if ((shared & 1 << i) == 0) {
                bytes.add(SHARED_BASE + i);
            }
        }
        return bytes;
    }

    /**
     * The probes this open makes after locking, in QEMU's order, each with the error it reports when another
     * process holds that byte.
     */
    public List<Probe> probes() {
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            if ((perm & 1 << i) != 0) {
                probes.add(new Probe(SHARED_BASE + i, "Failed to get \"" + NAMES[i] + "\" lock"));
            }
        }
        for (int i = 0; i < NAMES.length; i++) {
            if ((shared & 1 << i) == 0) {
                probes.add(new Probe(PERM_BASE + i, "Failed to get shared \"" + NAMES[i] + "\" lock"));
            }
        }
        return probes;
    }

    /** One conflict test: byte {@code offset} held by someone else means {@code failure}. */
    public record Probe(int offset, String failure) {
    }
}
