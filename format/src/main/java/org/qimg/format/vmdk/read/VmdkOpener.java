package org.qimg.format.vmdk.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.io.Positional;
import org.qimg.format.vmdk.layout.CowdLayout;
import org.qimg.format.vmdk.layout.DescriptorLayout;
import org.qimg.format.vmdk.layout.ExtentLine;
import org.qimg.format.vmdk.layout.SparseHeader;
import org.qimg.format.vmdk.layout.SparseLayout;

/**
 * Assembles the extents of a VMDK as QEMU 7.2's vmdk_open does: a sparse file ("KDMV" or "COWD") is its own
 * single extent; anything else is a text descriptor whose extent lines name FLAT, VMFS, SPARSE or VMFSSPARSE
 * files beside it. A KDMV header with capacity 0 and a descriptor offset stands for the descriptor it
 * embeds (QEMU follows it); qimg refuses such descriptors that lead back to a file already being opened.
 */
final class VmdkOpener {
    /** Extents one image may have. */
    static final int MAX_EXTENTS = 65536;
    /** Embedded descriptors followed one inside another. */
    static final int MAX_NESTING = 8;

    private final Path image;
    private final ExtentFiles files;
    private final GrainTableCache cache;
    final List<ExtentMap> extents = new ArrayList<>();
    String createType;
    private final Set<Path> opening = new HashSet<>();
    private final SparseHeaders.Budget budget = new SparseHeaders.Budget();

    VmdkOpener(Path image, ExtentFiles files, GrainTableCache cache) {
        this.image = image;
        this.files = files;
        this.cache = cache;
    }

    /** Opens the image file {@code f}; returns where its CID keys are (0 for a descriptor file, 512 for sparse). */
    long openImage(ExtentFiles.Opened f) throws IOException {
        if (f.length() < 4) {
            throw new CorruptImageException(image.toString(), -1, "File is too small, not a valid image ("
                    + f.length() + " bytes)");
        }
        int magic = magic(f);
        if (magic == CowdLayout.MAGIC_BE || magic == Integer.reverseBytes(SparseLayout.MAGIC)) {
            openSparse(f, "", 0);
            return DescriptorLayout.EMBEDDED_KEYS_OFFSET;
        }
        openDescriptor(f, 0, 0);
        return 0;
    }

    private static int magic(ExtentFiles.Opened f) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN);
        Positional.readFully(f.channel(), b, 0, f.path());
        return b.getInt(0);
    }

    /** QEMU's vmdk_read_desc: up to 1 MiB - 1 bytes (at most the file's length) from {@code offset}. */
    static DescriptorText readText(ExtentFiles.Opened f, long offset, int max) throws IOException {
        int n = (int) Math.min(f.length(), max);
        byte[] buf = new byte[n];
        long avail = Math.max(0, Math.min(n, f.length() - offset));
        if (avail > 0) {
            Positional.readFully(f.channel(), ByteBuffer.wrap(buf, 0, (int) avail), offset, f.path());
        }
        return new DescriptorText(buf, n, f.path().toString());
    }

    private void openDescriptor(ExtentFiles.Opened f, long offset, int depth) throws IOException {
        DescriptorText d = readText(f, offset, DescriptorLayout.MAX_BYTES);
        createType = d.createType();
        for (ExtentLine line : d.extents()) {
            if (extents.size() >= MAX_EXTENTS) {
                throw new ImageLimitException(image + ": the descriptor has more than " + MAX_EXTENTS + " extents");
            }
            try {
                openExtent(line, depth);
            } catch (org.qimg.format.ImageLockException e) {
                throw e;
            } catch (ImageException e) {
                if (e.getMessage().contains(image.toString())) {
                    throw e;
                }
                // name the image the user opened, as qemu-img does ("Could not open 'desc': Could not open 'x'")
                throw new ImageException("Could not open '" + image + "': " + e.getMessage(), e);
            }
        }
    }

    private void openExtent(ExtentLine line, int depth) throws IOException {
        ExtentFiles.Opened x = files.open(line.file());
        {
            if (line.isFlat()) {
                long base;
                try {
                    base = Math.multiplyExact(line.offset(), SparseLayout.SECTOR);
                    Math.addExact(base, Math.multiplyExact(line.sectors(), SparseLayout.SECTOR));
                } catch (ArithmeticException e) {
                    throw new ImageLimitException(image + ": extent '" + line.format() + "' is too large");
                }
                extents.add(new FlatExtent(x.path(), x.channel(), x.length(), line.type(), line.sectors()
                        * SparseLayout.SECTOR, base));
            } else {
                openSparse(x, line.type(), depth + 1);
            }
        }
    }

    private void openSparse(ExtentFiles.Opened f, String type, int depth) throws IOException {
        if (f.length() < 4) {
            throw new CorruptImageException(f.path().toString(), -1, "File is too small, not a valid image");
        }
        int magic = magic(f);
        if (magic == CowdLayout.MAGIC_BE) {
            extents.add(SparseHeaders.cowd(f, type, cache, budget));
            return;
        }
        if (magic != Integer.reverseBytes(SparseLayout.MAGIC)) {
            throw new CorruptImageException(f.path().toString(), 0, "Image not in VMDK format (a sparse extent"
                    + " starts with KDMV or COWD)");
        }
        if (f.length() < SparseLayout.HEADER_BYTES) {
            throw new CorruptImageException(f.path().toString(), 0, "File truncated: a sparse extent header has "
                    + SparseLayout.HEADER_BYTES + " bytes, the file " + f.length());
        }
        ByteBuffer b = ByteBuffer.allocate(SparseLayout.HEADER_BYTES);
        Positional.readFully(f.channel(), b, 0, f.path());
        SparseHeader h = SparseHeader.decode(b);
        if (h.capacity() == 0 && h.descriptorOffset() != 0) {
            // QEMU reads the embedded descriptor as the image's descriptor, and opens what it names
            Path real = f.path().toRealPath();
            if (depth >= MAX_NESTING || !opening.add(real)) {
                throw new CorruptImageException(f.path().toString(), SparseLayout.OFF_DESCRIPTOR_OFFSET,
                        "extent loop: the descriptor embedded in this extent (capacity 0) leads back to a file"
                                + " already being opened");
            }
            long at;
            try {
                at = Math.multiplyExact(h.descriptorOffset(), SparseLayout.SECTOR);
            } catch (ArithmeticException e) {
                throw new CorruptImageException(f.path().toString(), SparseLayout.OFF_DESCRIPTOR_OFFSET,
                        "descriptor offset " + Long.toUnsignedString(h.descriptorOffset()) + " is out of range");
            }
            openDescriptor(f, at, depth);
            opening.remove(real);
            return;
        }
        if (createType == null) {
            createType = DescriptorLayout.MONOLITHIC_SPARSE;
        }
        SparseExtent e = SparseHeaders.vmdk4(f, SparseHeaders.effective(f, h), type, cache, budget);
        if (e.compressed()) {
            createType = DescriptorLayout.STREAM_OPTIMIZED;
        }
        extents.add(e);
    }

    /** Places the extents one after another; refuses an image without any. */
    long assemble() throws ImageException {
        if (extents.isEmpty()) {
            throw new CorruptImageException(image.toString(), -1, "the descriptor names no extent qemu-img would"
                    + " open (none is \"RW <sectors> FLAT|SPARSE|VMFS|VMFSSPARSE \\\"file\\\"\")");
        }
        long pos = 0;
        for (ExtentMap e : extents) {
            e.start = pos;
            try {
                pos = Math.addExact(pos, e.length);
            } catch (ArithmeticException x) {
                throw new ImageLimitException(image + ": the extents add up to more than 2^63 bytes");
            }
        }
        if (pos > Long.MAX_VALUE / 2) {
            throw new ImageLimitException(image + ": the extents add up to " + pos + " bytes, more than qimg reads");
        }
        return pos;
    }
}
