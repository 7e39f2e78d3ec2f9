package org.qimg.format.vmdk.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qimg.format.CompressedPayload;
import org.qimg.format.CorruptImageException;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;
import org.qimg.format.ImageLayout;
import org.qimg.format.OpenOptions;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.io.ReadRange;
import org.qimg.format.io.Zeros;
import org.qimg.format.raw.HostBlockStatus;
import org.qimg.format.raw.HostFiles;
import org.qimg.format.vmdk.layout.DescriptorLayout;

/**
 * A VMDK opened for reading: its extents one after another, and its parent (parentFileNameHint) below.
 * Reads and extent queries are safe from many threads: file access is positional, grain tables come from a
 * bounded shared cache, and each thread expands compressed grains with its own buffers and inflater, so a
 * convert of a streamOptimized image decompresses on every core.
 *
 * <p>Extents as QEMU 7.2's block status gives them: flat extents are DATA with their host offset (holes of
 * the file, and bytes past its end, {@code hostZero}); allocated grains DATA with theirs; compressed grains
 * DATA, compressed, without one; zeroed grains ZERO; the rest UNALLOCATED.
 */
public final class VmdkImage implements DiskImage {

    private final Path path;
    private final FileChannel channel;
    private final ImageLock lock;
    private final ExtentFiles files;
    private final List<ExtentMap> extents;
    private final long virtualSize;
    private final String createType;
    private final long cid;
    private final long parentCid;
    private final String parentHint;
    private final DiskImage backing;
    private final String cidMismatch;
    private final ImageLayout layout;
    /** Hole queries on the files of flat extents, one descriptor per file. */
    private final Map<Path, HostBlockStatus> holes = new LinkedHashMap<>();
    private final CompressedGrains grains;

    private VmdkImage(Path path, FileChannel channel, ImageLock lock, ExtentFiles files, VmdkOpener o, long size,
                      long cid, long parentCid, String parentHint, DiskImage backing) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
        this.files = files;
        this.extents = List.copyOf(o.extents);
        this.virtualSize = size;
        this.createType = o.createType;
        this.cid = cid;
        this.parentCid = parentCid;
        this.parentHint = parentHint;
        this.backing = backing;
        this.cidMismatch = backing instanceof VmdkImage p && p.cid != parentCid
                ? "parentCID " + Long.toHexString(parentCid) + " does not match the CID " + Long.toHexString(p.cid)
                        + " of its parent '" + p.path + "' (the parent changed after this image was made)"
                : null;
        int max = 0;
        for (ExtentMap e : extents) {
            if (e.compressed()) {
                max = Math.max(max, e.grainBytes());
            }
            if (e instanceof FlatExtent) {
                holes.computeIfAbsent(e.file.toAbsolutePath().normalize(), HostBlockStatus::open);
            }
        }
        this.grains = new CompressedGrains(max);
        this.layout = layoutOf(extents);
    }

    /** QEMU's cluster size: the grain of the first extent when every extent is sparse alike (vmdk_co_get_info). */
    private static ImageLayout layoutOf(List<ExtentMap> extents) {
        ExtentMap first = extents.get(0);
        for (ExtentMap e : extents) {
            if ((e.grainBytes() == 0) != (first.grainBytes() == 0) || e.compressed() != first.compressed()
                    || e.grainBytes() != first.grainBytes()) {
                return ImageLayout.FLAT;
            }
        }
        if (first.grainBytes() == 0) {
            return ImageLayout.FLAT;
        }
        // QEMU's block status answers one grain at a time: the grain is the span one lookup covers
        return new ImageLayout(first.grainBytes(), first.grainBytes(), first.compressed() ? CompressionType.ZLIB : null,
                null);
    }

    /** Opens {@code path} as a VMDK (sparse file or descriptor), its extents and, if asked, its parent. */
    public static VmdkImage open(Path path, OpenOptions options) throws IOException {
        ImageLock lock = ImageLock.acquire(path, options.lock().qcow2File(options.forceShare()));
        FileChannel ch;
        try {
            ch = NamedChannel.open(path, java.nio.file.StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        return open(path, ch, lock, options);
    }

    /**
     * Opens the VMDK whose bytes are {@code bytes} (the content of a container, not a file of its own), named
     * {@code file}: see {@link org.qimg.format.ImageFormat#open(Path, FileChannel, OpenOptions)}. Nothing is
     * locked; extent files a descriptor names are looked for beside {@code file} (and locked) as usual.
     */
    public static VmdkImage open(Path file, FileChannel bytes, OpenOptions options) throws IOException {
        return open(file, bytes, ImageLock.acquire(file, org.qimg.format.io.LockPerms.NONE), options);
    }

    private static VmdkImage open(Path path, FileChannel ch, ImageLock lock, OpenOptions options) throws IOException {
        ExtentFiles files = null;
        DiskImage backing = null;
        try {
            files = new ExtentFiles(path, options.lock().qcow2File(options.forceShare()));
            files.addImage(path.toRealPath(), ch, ch.size());
            GrainTableCache cache = new GrainTableCache(options.cacheBytes());
            VmdkOpener o = new VmdkOpener(path, files, cache);
            ExtentFiles.Opened self = new ExtentFiles.Opened(path, ch, ch.size());
            long keysAt = o.openImage(self);
            long size = o.assemble();
            DescriptorText keys = VmdkOpener.readText(self, keysAt,
                    DescriptorLayout.KEYS_BYTES);
            String hint = keys.parentHint();
            if (hint != null && hint.isEmpty()) {
                hint = null; // QEMU takes an empty name for no backing file
            }
            if (hint != null && options.openBacking()) {
                backing = VmdkParent.open(path, hint, options);
            }
            long cid = keys.cid(false);
            long parentCid = keys.cid(true);
            return new VmdkImage(path, ch, lock, files, o, size, cid, parentCid, hint, backing);
        } catch (IOException | RuntimeException e) {
            VmdkParent.closeQuietly(backing);
            if (files != null) {
                try {
                    files.close();
                } catch (IOException x) {
                    e.addSuppressed(x);
                }
            }
            if (ch != null) {
                ch.close();
            }
            lock.close();
            throw e;
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String formatName() {
        return "vmdk";
    }

    @Override
    public long virtualSize() {
        return virtualSize;
    }

    /** The CID of this image's descriptor. */
    public long cid() {
        return cid;
    }

    private ExtentMap extentOf(long offset) {
        int lo = 0;
        int hi = extents.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (extents.get(mid).start <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        ExtentMap e = extents.get(lo);
        while (e.length == 0 || offset >= e.start + e.length) {
            e = extents.get(++lo); // skips empty extents; offset < virtualSize guarantees one follows
        }
        return e;
    }

    private void checkRange(long offset, long len, String what) throws ImageException {
        ReadRange.require(path, what, offset, len, virtualSize);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining(), "read");
        long pos = offset;
        while (dst.hasRemaining()) {
            ExtentMap e = extentOf(pos);
            long local = pos - e.start;
            ExtentMap.Run r = e.map(local, dst.remaining());
            int n = (int) Math.min(r.length(), dst.remaining());
            int lim = dst.limit();
            dst.limit(dst.position() + n);
            switch (r.kind()) {
                case DATA -> e.readData(r.host(), dst, pos);
                case COMPRESSED -> {
                    int inGrain = (int) (local % e.grainBytes());
                    n = Math.min(n, e.grainBytes() - inGrain);
                    dst.limit(dst.position() + n);
                    grains.read((SparseExtent) e, r.host(), inGrain, dst, pos);
                }
                case ZERO -> Zeros.fill(dst);
                case UNALLOCATED -> readBacking(pos, dst);
            }
            dst.limit(lim);
            pos += n;
        }
    }

    private void readBacking(long pos, ByteBuffer dst) throws IOException {
        if (backing == null) {
            Zeros.fill(dst);
            return;
        }
        if (cidMismatch != null) {
            throw new ImageException(path + ": error while reading at byte " + pos + ": Invalid argument ("
                    + cidMismatch + ")");
        }
        long inBacking = Math.max(0, Math.min(dst.remaining(), backing.virtualSize() - pos));
        if (inBacking > 0) {
            int lim = dst.limit();
            dst.limit(dst.position() + (int) inBacking);
            backing.read(pos, dst);
            dst.limit(lim);
        }
        Zeros.fill(dst);
    }

    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        if (offset < 0 || offset >= virtualSize || maxLength <= 0) {
            throw new ImageException(path + ": extent query at offset " + offset + " (length " + maxLength
                    + ") is outside the image (virtual size " + virtualSize + ")");
        }
        ExtentMap e = extentOf(offset);
        long local = offset - e.start;
        ExtentMap.Run r = e.map(local, Math.min(maxLength, virtualSize - offset));
        return switch (r.kind()) {
            case DATA -> {
                if (e instanceof FlatExtent f) {
                    yield flatExtent(f, offset, r);
                }
                yield new Extent(offset, r.length(), Extent.Status.DATA, r.host(), false);
            }
            case COMPRESSED -> new Extent(offset, r.length(), Extent.Status.DATA, -1, true);
            case ZERO -> new Extent(offset, r.length(), Extent.Status.ZERO, -1, false);
            case UNALLOCATED -> new Extent(offset, r.length(), Extent.Status.UNALLOCATED, -1, false);
        };
    }

    /** A flat run as QEMU reports it, looking through to the file (BDRV_BLOCK_RECURSE): holes read as zeros. */
    private Extent flatExtent(FlatExtent f, long offset, ExtentMap.Run r) {
        if (r.host() >= f.fileLength) {
            return new Extent(offset, r.length(), Extent.Status.DATA, r.host(), false, true);
        }
        HostBlockStatus.Run h = holes.get(f.file.toAbsolutePath().normalize()).at(r.host(), Math.min(r.length(), f.fileLength - r.host()));
        return new Extent(offset, h.length(), Extent.Status.DATA, r.host(), false, h.zero());
    }

    /** The extent file holding {@code guestOffset}, as QEMU names it (the descriptor's directory and the name). */
    @Override
    public String hostFile(long guestOffset) {
        return extentOf(Math.max(0, Math.min(guestOffset, virtualSize - 1))).file.toString();
    }

    @Override
    public ImageLayout layout() {
        return layout;
    }

    /**
     * The payload of a compressed grain: the deflate stream inside the grain's zlib wrapper (after the marker
     * and the two-byte zlib header; the Adler-32 trailer counts as padding), so that it reads with
     * {@link CompressionType#ZLIB}'s raw-deflate decompressor.
     */
    @Override
    public Optional<CompressedPayload> compressedPayload(long guestOffset) throws IOException {
        checkRange(guestOffset, 1, "compressed payload query");
        ExtentMap e = extentOf(guestOffset);
        long local = guestOffset - e.start;
        ExtentMap.Run r = e.map(local, 1);
        if (r.kind() != ExtentMap.Kind.COMPRESSED) {
            return Optional.empty();
        }
        long[] p = ((SparseExtent) e).payload(r.host(), guestOffset);
        long grainStart = guestOffset - local % e.grainBytes();
        if (p[1] <= 2) {
            throw new CorruptImageException(e.file.toString(), r.host(), "the compressed grain for guest offset "
                    + guestOffset + " has only " + p[1] + " bytes");
        }
        return Optional.of(new CompressedPayload(grainStart, e.file, p[0] + 2, (int) (p[1] - 2)));
    }

    /**
     * {@code qemu-img check} for VMDK (QEMU's vmdk_co_check): walks the disk a grain at a time (a flat extent
     * at once) and stops at the first grain whose offset lies at or past the end of its file, or whose grain
     * table cannot be read. {@code log} receives qemu-img's "ERROR: ..." line. Returns null when the walk
     * finds nothing, else the reason qemu-img gives after "Check failed: ".
     */
    public String check(java.util.function.Consumer<String> log) throws IOException {
        long pos = 0;
        while (pos < virtualSize) {
            ExtentMap e = extentOf(pos);
            long local = pos - e.start;
            long sector = pos / org.qimg.format.vmdk.layout.SparseLayout.SECTOR;
            if (e instanceof FlatExtent f) {
                if (f.base() >= f.fileLength) {
                    log.accept("ERROR: cluster offset for sector " + sector + " points after EOF");
                    return "Invalid argument";
                }
                pos = e.start + e.length;
                continue;
            }
            ExtentMap.Run r;
            try {
                r = e.map(local, Math.min(e.grainBytes() - local % e.grainBytes(), e.length - local));
            } catch (ImageException x) {
                log.accept("ERROR: could not get cluster_offset for sector " + sector + " (" + x.getMessage() + ")");
                return "Operation not permitted";
            }
            if ((r.kind() == ExtentMap.Kind.DATA || r.kind() == ExtentMap.Kind.COMPRESSED)
                    && r.host() >= e.fileLength) {
                log.accept("ERROR: cluster offset for sector " + sector + " points after EOF");
                return "Invalid argument";
            }
            pos += e.grainBytes() - local % e.grainBytes();
            pos = Math.min(pos, e.start + e.length);
        }
        return null;
    }

    @Override
    public Optional<DiskImage> backing() {
        return Optional.ofNullable(backing);
    }

    @Override
    public ImageInfo info() {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("create-type", createType == null ? "" : createType);
        data.put("cid", cid);
        data.put("parent-cid", parentCid);
        List<Map<String, Object>> list = new ArrayList<>();
        for (ExtentMap e : extents) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("filename", e.file.toString());
            x.put("format", e.type);
            x.put("virtual-size", e.length);
            if (e.grainBytes() != 0) {
                x.put("cluster-size", (long) e.grainBytes());
            }
            if (e.compressed()) {
                x.put("compressed", true);
            }
            list.add(x);
        }
        data.put("extents", list);
        String full = parentHint;
        if (parentHint != null) {
            try {
                full = VmdkParent.resolve(path, parentHint).toString();
            } catch (ImageException e) {
                // not a usable path: show the name as stored
            }
        }
        Integer cluster = layout.flat() ? null : layout.clusterSize();
        return new ImageInfo("vmdk", virtualSize, cluster, null, parentHint, full,
                parentHint == null ? null : "vmdk", "vmdk", data);
    }

    /**
     * The allocated bytes of the image file and of every extent in another file, each extent counted (as
     * QEMU's vmdk_co_get_allocated_file_size counts them).
     */
    @Override
    public long actualSize() throws IOException {
        long total = HostFiles.allocatedBytes(path);
        Map<Path, Long> sizes = new java.util.HashMap<>();
        for (ExtentMap e : extents) {
            if (!e.file.equals(path)) {
                Long n = sizes.get(e.file);
                if (n == null) {
                    n = HostFiles.allocatedBytes(e.file);
                    sizes.put(e.file, n);
                }
                total += n;
            }
        }
        return total;
    }

    @Override
    public void close() throws IOException {
        grains.close();
        holes.values().forEach(HostBlockStatus::close);
        try {
            VmdkParent.closeQuietly(backing);
            files.close();
        } finally {
            try {
                channel.close();
            } finally {
                lock.close();
            }
        }
    }
}
