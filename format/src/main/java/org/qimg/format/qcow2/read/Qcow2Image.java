package org.qimg.format.qcow2.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.DataFormatException;
import org.qimg.format.CompressedPayload;
import org.qimg.format.CorruptImageException;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.FileOpenException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;
import org.qimg.format.ImageLayout;
import org.qimg.format.OpenOptions;
import org.qimg.format.SnapshotInfo;
import org.qimg.format.codec.ClusterDecompressor;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.Positional;
import org.qimg.format.io.ReadRange;
import org.qimg.format.io.Zeros;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.raw.HostFiles;

/**
 * A qcow2 image (or a read-only view of one of its internal snapshots) opened for reading. Reads and
 * extent queries are safe from many threads: file access is positional, L2 tables come from a bounded
 * shared cache, and decompression state is per thread.
 *
 * <p>Extents, as QEMU 7.2's block status reports them: DATA runs carry their host offset in the data
 * file (the image itself, or the external data file); compressed runs are DATA with
 * {@code compressed = true} and host offset -1; zero clusters are ZERO, with the host offset of the
 * cluster they keep, if any; with extended L2 entries, runs have subcluster granularity and unallocated
 * subclusters of an allocated cluster carry their host offset. When the image looks metadata-preallocated
 * (see {@link MetadataPreallocation}) DATA runs over holes of the data file are {@code hostZero}.
 *
 * <p>Unallocated ranges read through the backing image; without one (or when opened with
 * {@link OpenOptions#withoutBacking()}), and past the end of a shorter backing image, they read as zeros.
 */
public final class Qcow2Image implements DiskImage {

    private final Path path;
    private final Qcow2Header header;
    private final FileChannel channel;
    private final Path dataPath;
    private final FileChannel dataChannel;
    private final long dataLength;
    private final DiskImage backing;
    private final List<SnapshotTable.Entry> snapshots;
    private final List<BitmapDirectory.Bitmap> bitmaps;
    private final L2Cache cache;
    private final ClusterMap map;
    private final MetadataPreallocation prealloc;
    private final long virtualSize;
    private final boolean ownsResources;
    /** QEMU's image locks on the image file and on the external data file; none for snapshot views. */
    private final ImageLock lock;
    private final ImageLock dataLock;
    private final ThreadLocal<Scratch> scratch;
    private final ImageLayout layout;
    /** Every Scratch handed out, so that close() can release their native codec state. */
    private final List<Scratch> scratches = new java.util.ArrayList<>();

    /** Per-thread buffers and codec for compressed clusters; remembers the last cluster it expanded. */
    private final class Scratch {
        final ByteBuffer compressed = ByteBuffer.allocateDirect(2 * header.clusterSize());
        final ByteBuffer plain = ByteBuffer.allocateDirect(header.clusterSize());
        final ClusterDecompressor decompressor = ClusterDecompressor.create(header.compressionType());
        long entry = -1;

        Scratch() {
            synchronized (scratches) {
                scratches.add(this);
            }
        }
    }

    private Qcow2Image(Path path, Qcow2Header header, FileChannel channel, Path dataPath, FileChannel dataChannel,
                       DiskImage backing, List<SnapshotTable.Entry> snapshots, List<BitmapDirectory.Bitmap> bitmaps,
                       L2Cache cache, long[] l1, long l1Offset, MetadataPreallocation prealloc,
                       boolean ownsResources, ImageLock lock, ImageLock dataLock) throws IOException {
        this.path = path;
        this.lock = lock;
        this.dataLock = dataLock;
        this.header = header;
        this.channel = channel;
        this.dataPath = dataPath;
        this.dataChannel = dataChannel;
        this.dataLength = dataChannel == null ? 0 : dataChannel.size();
        this.backing = backing;
        this.snapshots = List.copyOf(snapshots);
        this.bitmaps = List.copyOf(bitmaps);
        this.cache = cache;
        // QEMU counts whole 512-byte sectors (total_sectors = size / 512): a size field that is not a
        // multiple of 512 loses its partial last sector
        this.virtualSize = header.virtualSize() & ~511L;
        this.map = new ClusterMap(header, channel, l1, l1Offset, cache, virtualSize);
        this.prealloc = prealloc != null ? prealloc
                : new MetadataPreallocation(header, channel, dataPath, dataLength);
        this.ownsResources = ownsResources;
        this.scratch = ThreadLocal.withInitial(Scratch::new);
        this.layout = new ImageLayout(header.clusterSize(), 1L << (header.clusterBits() + header.l2Bits()),
                header.compressionType(), header.hasExternalDataFile() ? header.extensions().dataFile() : null);
    }

    /**
     * Opens {@code path} as qcow2: header, active L1 table, snapshot table, data file and backing chain. The
     * image file is locked for {@link OpenOptions#lock()} ({@link LockPerms#qcow2File}) before its header is
     * read, as QEMU locks the file before the format driver reads it.
     */
    public static Qcow2Image open(Path path, OpenOptions options) throws IOException {
        ImageLock lock = ImageLock.acquire(path, options.lock().qcow2File(options.forceShare()));
        FileChannel ch;
        try {
            ch = Qcow2Files.openChannel(path, "image");
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        return open(path, ch, lock, true, options);
    }

    /**
     * Opens the qcow2 image whose bytes are {@code bytes} (the content of a container, not a file of its own),
     * named {@code file}: see {@link org.qimg.format.ImageFormat#open(Path, FileChannel, OpenOptions)}. No lock
     * is taken, and metadata preallocation is not looked for (it is told from the host file's allocation).
     */
    public static Qcow2Image open(Path file, FileChannel bytes, OpenOptions options) throws IOException {
        return open(file, bytes, ImageLock.acquire(file, LockPerms.NONE), false, options);
    }

    private static Qcow2Image open(Path path, FileChannel ch, ImageLock lock, boolean hostFile, OpenOptions options)
            throws IOException {
        ImageLock dataLock = null;
        FileChannel data = null;
        DiskImage backing = null;
        try {
            Qcow2Header h = Qcow2Header.read(ch, path);
            long[] l1 = ClusterMap.readL1(ch, h, h.l1TableOffset(), Integer.toUnsignedLong(h.l1Size()),
                    "active L1 table");
            List<SnapshotTable.Entry> snaps = SnapshotTable.read(ch, h);
            List<BitmapDirectory.Bitmap> bitmaps = BitmapDirectory.read(ch, h);
            Path dataPath = path;
            data = ch;
            if (h.hasExternalDataFile()) {
                if (options.dataFile() != null) {
                    dataPath = options.dataFile();
                } else if (h.extensions().dataFile() != null) {
                    dataPath = Qcow2Files.resolveBeside(path, h.extensions().dataFile());
                } else if (options.guestData()) { // qemu-img info (no I/O) does not ask for one
                    throw new FileOpenException(path.toString(), "'data-file' is required for this image");
                }
                // qemu-img info does not open (or lock) the data file: a missing one, or a FIFO, must not stop it
                if (options.guestData()) {
                    data = Qcow2Files.openDataFile(path, dataPath);
                    dataLock = ImageLock.acquire(dataPath, options.lock().qcow2DataFile(options.forceShare()));
                } else {
                    data = null;
                }
            }
            if ((h.backingFile() != null || options.backingFile() != null) && options.openBacking()) {
                backing = Qcow2Files.openBacking(path, h, options);
            }
            L2Cache cache = new L2Cache(options.cacheBytes(), h.clusterSize());
            MetadataPreallocation prealloc = hostFile ? null
                    : new MetadataPreallocation(h, ch, dataPath, data == null ? 0 : data.size(), false);
            return new Qcow2Image(path, h, ch, dataPath, data, backing, snaps, bitmaps, cache, l1, h.l1TableOffset(),
                    prealloc, true, lock, dataLock);
        } catch (IOException | RuntimeException e) {
            Qcow2Files.closeQuietly(backing);
            if (data != null && data != ch) {
                data.close();
            }
            ch.close();
            if (dataLock != null) {
                dataLock.close();
            }
            lock.close();
            throw e;
        }
    }

    /** The parsed header. */
    public Qcow2Header header() {
        return header;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String formatName() {
        return "qcow2";
    }

    @Override
    public long virtualSize() {
        return virtualSize;
    }

    @Override
    public Optional<DiskImage> backing() {
        return Optional.ofNullable(backing);
    }

    /** Fails when the image was opened for metadata only and guest data lives in an unopened data file. */
    private void requireGuestData() throws ImageException {
        if (dataChannel == null) {
            throw new ImageException(path + ": opened for metadata only; its external data file '" + dataPath
                    + "' was not opened");
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        requireGuestData();
        int len = dst.remaining();
        ReadRange.require(path, offset, len, virtualSize);
        long pos = offset;
        while (dst.hasRemaining()) {
            ClusterMap.Run run = map.map(pos, dst.remaining(), false);
            int n = (int) run.length();
            int limit = dst.limit();
            dst.limit(dst.position() + n);
            switch (run.kind()) {
                case DATA -> readData(run, dst);
                case ZERO -> Zeros.fill(dst);
                case UNALLOCATED -> readBacking(pos, dst);
                case COMPRESSED -> readCompressed(run, dst);
                default -> throw new IllegalStateException();
            }
            dst.limit(limit);
            pos += n;
        }
    }

    private void readData(ClusterMap.Run run, ByteBuffer dst) throws IOException {
        long host = run.hostOffset();
        long n = dst.remaining();
        boolean external = dataChannel != channel;
        if (host >= dataLength && !external) {
            throw new CorruptImageException(path.toString(), host, "data cluster for guest offset "
                    + run.guestOffset() + " lies past the end of the file (" + dataLength + " bytes)");
        }
        // a file may end inside its last cluster (and an external data file anywhere): the rest reads as zeros
        long inFile = Math.max(0, Math.min(n, dataLength - host));
        if (inFile > 0) {
            int lim = dst.limit();
            dst.limit(dst.position() + (int) inFile);
            Positional.readFully(dataChannel, dst, host, dataPath);
            dst.limit(lim);
        }
        Zeros.fill(dst);
    }

    private void readBacking(long pos, ByteBuffer dst) throws IOException {
        if (backing != null) {
            long inBacking = Math.max(0, Math.min(dst.remaining(), backing.virtualSize() - pos));
            if (inBacking > 0) {
                int lim = dst.limit();
                dst.limit(dst.position() + (int) inBacking);
                backing.read(pos, dst);
                dst.limit(lim);
            }
        }
        Zeros.fill(dst);
    }

    private void readCompressed(ClusterMap.Run run, ByteBuffer dst) throws IOException {
        Scratch s = scratch.get();
        long entry = run.l2Entry();
        if (s.entry != entry) {
            s.entry = -1;
            expand(entry, run, s);
            s.entry = entry;
        }
        int cs = header.clusterSize();
        int within = (int) (run.guestOffset() & (cs - 1));
        ByteBuffer src = s.plain.duplicate();
        src.limit(within + dst.remaining()).position(within);
        dst.put(src);
    }

    private void expand(long entry, ClusterMap.Run run, Scratch s) throws IOException {
        int cb = header.clusterBits();
        long hostOffset = Entries.compressedOffset(entry, cb);
        long fileLength = header.fileLength();
        if (hostOffset >= fileLength) {
            throw new CorruptImageException(path.toString(), run.entryOffset(), "compressed cluster for guest offset "
                    + run.guestOffset() + " points to host offset " + hostOffset + ", past the end of the file ("
                    + fileLength + " bytes)");
        }
        long want = Entries.compressedSpan(entry, cb);
        int n = (int) Math.min(want, fileLength - hostOffset);
        s.compressed.clear().limit(n);
        Positional.readFully(channel, s.compressed, hostOffset, path);
        // a span that runs past the end of the file reads zeros there, as QEMU reads it: a payload that
        // lost only its padding, or bytes that were zeros, still expands; one cut elsewhere fails below
        s.compressed.limit((int) want);
        Zeros.fill(s.compressed);
        s.compressed.flip();
        s.plain.clear();
        try {
            s.decompressor.decompress(s.compressed, s.plain);
        } catch (DataFormatException | RuntimeException e) {
            throw new CorruptImageException(path.toString(), hostOffset, "compressed cluster for guest offset "
                    + run.guestOffset() + " (" + header.compressionType().qemuName() + ", " + n
                    + " bytes read) does not expand to " + header.clusterSize() + " bytes: " + e.getMessage());
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        requireGuestData();
        if (offset < 0 || offset >= virtualSize || maxLength <= 0) {
            throw new ImageException(path + ": extent query at offset " + offset + " (length " + maxLength
                    + ") is outside the image (virtual size " + virtualSize + ")");
        }
        ClusterMap.Run run = map.map(offset, maxLength, true);
        return switch (run.kind()) {
            case DATA -> prealloc.dataExtent(offset, run.length(), run.hostOffset());
            case COMPRESSED -> new Extent(offset, run.length(), Extent.Status.DATA, -1, true);
            case ZERO -> new Extent(offset, run.length(), Extent.Status.ZERO, run.hostOffset(), false);
            case UNALLOCATED -> new Extent(offset, run.length(), Extent.Status.UNALLOCATED, run.hostOffset(), false);
        };
    }

    /** Cluster size, L2 table span, compression type and the external data file as the header names it. */
    @Override
    public ImageLayout layout() {
        return layout;
    }

    /** The payload of a compressed cluster, from its L2 entry; reads only metadata. */
    @Override
    public Optional<CompressedPayload> compressedPayload(long guestOffset) throws IOException {
        if (guestOffset < 0 || guestOffset >= virtualSize) {
            throw new ImageException(path + ": offset " + guestOffset + " is outside the image (virtual size "
                    + virtualSize + ")");
        }
        ClusterMap.Run run = map.map(guestOffset, 1, false);
        if (run.kind() != ClusterMap.Kind.COMPRESSED) {
            return Optional.empty();
        }
        long clusterStart = guestOffset & ~((long) header.clusterSize() - 1);
        return Optional.of(PayloadLocator.locate(header, clusterStart, run.l2Entry(), run.entryOffset()));
    }

    /** Number of L2 tables currently cached (for tests of the memory bound). */
    int cachedTables() {
        return cache.size();
    }

    /** The file guest data lives in: the image itself, or its external data file. */
    public Path dataFile() {
        return dataPath;
    }

    /**
     * The fields of {@code qemu-img info --output=json}. Format-specific keys come in the order qemu-img
     * 7.2 prints them (the bucket order of its QDict hash table, not alphabetical): compat,
     * compression-type, lazy-refcounts, bitmaps, refcount-bits, data-file, data-file-raw, corrupt,
     * extended-l2; v2 images have only compat, compression-type and refcount-bits.
     */
    @Override
    public ImageInfo info() {
        Map<String, Object> data = new LinkedHashMap<>();
        boolean v3 = header.version() >= 3;
        data.put("compat", v3 ? "1.1" : "0.10");
        data.put("compression-type", header.compressionType().qemuName());
        if (v3) {
            data.put("lazy-refcounts", header.lazyRefcounts());
            if (!bitmaps.isEmpty()) {
                data.put("bitmaps", bitmaps.stream().map(BitmapDirectory.Bitmap::toInfo).toList());
            }
        }
        data.put("refcount-bits", header.refcountBits());
        if (header.hasExternalDataFile()) {
            if (header.extensions().dataFile() != null) {
                data.put("data-file", header.extensions().dataFile());
            }
            data.put("data-file-raw", header.dataFileRaw());
        }
        if (v3) {
            data.put("corrupt", header.isCorrupt());
            data.put("extended-l2", header.hasExtendedL2());
        }
        String bf = header.backingFile();
        String full = bf;
        if (bf != null && !Qcow2Files.isJsonName(bf)) {
            try {
                full = Qcow2Files.resolveBeside(path, bf).toString();
            } catch (ImageException e) {
                // not a usable path (e.g. a NUL byte): show the name as stored
            }
        }
        return new ImageInfo("qcow2", virtualSize, header.clusterSize(), header.isDirty(), bf, full,
                header.extensions().backingFormat(), "qcow2", data);
    }

    @Override
    public List<SnapshotInfo> snapshots() {
        return snapshots.stream().map(SnapshotTable.Entry::info).toList();
    }

    /**
     * A read-only view of the snapshot whose id, else name, is {@code idOrName}. Like {@code qemu-img convert
     * -l}, the view keeps the image's current virtual size and reads unallocated clusters through the
     * current backing file. Closing it releases nothing of this image.
     */
    @Override
    public DiskImage openSnapshot(String idOrName) throws IOException {
        SnapshotTable.Entry e = SnapshotTable.find(snapshots, idOrName);
        if (e == null) {
            // qemu-img's words (qcow2_snapshot_load_tmp); qimg's detail is the cause
            throw new ImageException("Failed to load snapshot: Can't find snapshot", new ImageException(path
                    + ": no snapshot with id or name '" + idOrName + "' (" + snapshots.size() + " snapshots)"));
        }
        long[] l1 = ClusterMap.readSnapshotL1(channel, header, e.l1Offset(), e.l1Size(),
                "L1 table of snapshot '" + e.info().name() + "' (entry at offset " + e.tableOffset() + ")");
        return new Qcow2Image(path, header, channel, dataPath, dataChannel, backing, List.of(), List.of(), cache, l1,
                e.l1Offset(), prealloc, false, null, null);
    }

    /**
     * Allocated bytes of the image file, as qemu-img 7.2's actual-size: an external data file is not
     * counted (qemu-img counts only the file it opened the qcow2 metadata from).
     */
    @Override
    public long actualSize() throws IOException {
        return HostFiles.allocatedBytes(path);
    }

    @Override
    public void close() throws IOException {
        synchronized (scratches) {
            scratches.forEach(s -> s.decompressor.close());
            scratches.clear();
        }
        if (!ownsResources) {
            return;
        }
        prealloc.close();
        try {
            if (backing != null) {
                backing.close();
            }
        } finally {
            try {
                if (dataChannel != channel && dataChannel != null) {
                    dataChannel.close();
                }
                channel.close();
            } finally {
                if (dataLock != null) {
                    dataLock.close();
                }
                lock.close();
            }
        }
    }
}
