package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.HeaderLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.ImageException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.ExtensionWalk;
import org.qimg.format.qcow2.layout.HeaderCluster;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * Changes the backing file reference of a qcow2 image in place, as QEMU's {@code qcow2_change_backing_file}
 * does: the whole header cluster is written again ({@code qcow2_update_header}): the fixed header (v3: 112
 * bytes plus any fields it does not know, which it keeps), then the extensions in QEMU's order (backing
 * format, external data file, encryption header pointer, feature name table for v3 images with clusters
 * larger than 4 KiB, bitmaps, then every extension of an unknown type as found), the end marker and the
 * backing file name. Autoclear bits QEMU does not know are cleared, as QEMU does when it opens an image for
 * writing. Nothing else in the file changes.
 *
 * <p>Errors carry QEMU's {@code strerror} text as their message ("Invalid argument", "No space left in the
 * file header"), for the caller to put behind its own words.
 */
public final class Qcow2BackingChanger {
    static final LockPerms PERMS = new LockPerms(LockPerms.CONSISTENT_READ | LockPerms.WRITE, LockPerms.ALL);

    /** What QEMU reports when the new header does not fit in the first cluster (ENOSPC). */
    public static final String NO_SPACE = "No space left in the file header";
    /** QEMU's EINVAL text: a name longer than 1023 bytes, or a backing file for a raw external data file. */
    public static final String INVALID = "Invalid argument";

    private Qcow2BackingChanger() {
    }

    /**
     * Makes {@code path} refer to {@code name} (null: no backing file) of format {@code format} (null: none
     * recorded). The name is stored as given, not resolved.
     */
    public static void change(Path path, String name, String format, boolean forceShare) throws IOException {
        try (ImageLock lock = ImageLock.acquire(path, PERMS.qcow2File(forceShare));
             FileChannel ch = NamedChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Qcow2Header h = Qcow2Header.read(ch, path);
            String f = path.toString();
            Qcow2Updater.requireClean(h, f);
            if (h.cryptMethod() != 0) {
                throw new UnsupportedFeatureException(f + ": image is encrypted");
            }
            byte[] nameBytes = name == null ? null : name.getBytes(StandardCharsets.UTF_8);
            if (nameBytes != null && (nameBytes.length > MAX_BACKING_NAME || h.dataFileRaw())) {
                throw new ImageException(INVALID);
            }
            ByteBuffer header = build(ch, path, h, nameBytes,
                    format == null ? null : format.getBytes(StandardCharsets.UTF_8));
            Positional.writeFully(ch, header, 0);
            ch.force(false);
        }
    }

    /** The new header cluster. */
    private static ByteBuffer build(FileChannel ch, Path path, Qcow2Header h, byte[] name, byte[] format)
            throws IOException {
        int cs = h.clusterSize();
        int oldLength = h.headerLength();
        boolean v3 = h.version() >= 3;
        int fixed = v3 ? Math.max(oldLength, V3_HEADER_LENGTH) : V2_HEADER_LENGTH;
        if (fixed > cs) {
            throw new ImageException(NO_SPACE);
        }
        ByteBuffer b = ByteBuffer.allocate(cs);
        ByteBuffer old = ByteBuffer.allocate((int) Math.min(cs, h.fileLength()));
        Positional.readFully(ch, old, 0, path);
        old.flip();
        // the fixed fields as they are, then the ones that change
        b.put(0, old, 0, Math.min(oldLength, old.limit()));
        b.putLong(OFF_BACKING_OFFSET, 0);
        b.putInt(OFF_BACKING_SIZE, 0);
        if (v3) {
            b.putLong(OFF_AUTOCLEAR, h.autoclearFeatures() & AUTOCLEAR_KNOWN);
            b.putInt(OFF_HEADER_LENGTH, fixed);
            b.put(OFF_COMPRESSION_TYPE, (byte) h.compressionType().code());
            for (int i = OFF_COMPRESSION_TYPE + 1; i < V3_HEADER_LENGTH; i++) {
                b.put(i, (byte) 0);
            }
        }
        List<ExtensionWalk.Extension> found = new ArrayList<>();
        ByteBuffer area = extensionArea(old, h);
        ExtensionWalk.walk(area, oldLength, path.toString(), found::add);
        int pos = fixed;
        if (name != null && format != null) {
            pos = put(b, pos, EXT_BACKING_FORMAT, format);
        }
        pos = keep(b, pos, area, found, EXT_EXTERNAL_DATA_FILE);
        pos = keep(b, pos, area, found, EXT_FULL_DISK_ENCRYPTION);
        if (HeaderCluster.hasFeatureTable(h.version(), cs)) {
            pos = put(b, pos, EXT_FEATURE_NAME_TABLE, HeaderCluster.featureNameTable());
        }
        if (h.extensions().bitmaps() != null) {
            pos = keep(b, pos, area, found, EXT_BITMAPS);
        }
        for (ExtensionWalk.Extension x : found) {
            if (!known(x.type())) {
                pos = put(b, pos, x.type(), payload(area, x));
            }
        }
        pos = put(b, pos, EXT_END, new byte[0]);
        if (name != null) {
            if (name.length > cs - pos) {
                throw new ImageException(NO_SPACE);
            }
            b.put(pos, name);
            b.putLong(OFF_BACKING_OFFSET, pos);
            b.putInt(OFF_BACKING_SIZE, name.length);
        }
        return b;
    }

    /** The old extension area: from the end of the fixed header to the old backing name or the cluster end. */
    private static ByteBuffer extensionArea(ByteBuffer old, Qcow2Header h) {
        int start = Math.min(h.headerLength(), old.limit());
        int end = old.limit();
        ByteBuffer fields = old.duplicate();
        long backingOffset = fields.getLong(OFF_BACKING_OFFSET);
        if (backingOffset > 0 && backingOffset < end) {
            end = (int) Math.max(start, backingOffset);
        }
        return old.slice(start, end - start);
    }

    private static boolean known(int type) {
        return type == EXT_BACKING_FORMAT || type == EXT_FEATURE_NAME_TABLE || type == EXT_FULL_DISK_ENCRYPTION
                || type == EXT_BITMAPS || type == EXT_EXTERNAL_DATA_FILE;
    }

    /** Copies the first extension of {@code type} found, if any. */
    private static int keep(ByteBuffer b, int pos, ByteBuffer area, List<ExtensionWalk.Extension> found, int type)
            throws ImageException {
        for (ExtensionWalk.Extension x : found) {
            if (x.type() == type) {
                return put(b, pos, type, payload(area, x));
            }
        }
        return pos;
    }

    private static byte[] payload(ByteBuffer area, ExtensionWalk.Extension x) {
        byte[] p = new byte[x.length()];
        area.get(x.payload(), p);
        return p;
    }

    private static int put(ByteBuffer b, int pos, int type, byte[] payload) throws ImageException {
        int next = HeaderCluster.putExtension(b, pos, type, payload);
        if (next < 0) {
            throw new ImageException(NO_SPACE);
        }
        return next;
    }
}
