package org.qimg.format;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A read view of one opened image (one layer; its backing chain hangs off {@link #backing()}).
 * Implementations are safe to {@link #read} and {@link #extentAt} from many threads at once.
 */
public interface DiskImage extends Closeable {

    /** The file this layer was opened from. */
    Path path();

    /** The format's name as qemu-img spells it: {@code raw}, {@code qcow2}. */
    String formatName();

    /** Guest-visible size in bytes. */
    long virtualSize();

    /**
     * Reads guest bytes [offset, offset + dst.remaining()) into dst, advancing its position to its limit.
     * Unallocated ranges read through the backing file, or as zeros without one. Reading past
     * {@link #virtualSize()} is an error.
     */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * The longest run starting at {@code offset}, at most {@code maxLength} bytes, that has one status in
     * this layer. Never reads guest data, only metadata (or the file system's hole map for raw files).
     */
    Extent extentAt(long offset, long maxLength) throws IOException;

    /**
     * How this layer stores guest data: its allocation unit, mapping tables, compression codec and external
     * data file. The default, {@link ImageLayout#FLAT}, is the answer of an image without clusters (raw) and
     * of views that have no layout of their own; formats with clusters override it. Never reads the file.
     */
    default ImageLayout layout() {
        return ImageLayout.FLAT;
    }

    /**
     * Where this layer keeps the compressed payload of the cluster holding guest byte {@code guestOffset}
     * ({@code 0 <= guestOffset < virtualSize()}), or empty when that cluster is not stored compressed here
     * (always, by default: for formats without compression). Reads only metadata. A cluster has a payload
     * exactly when the extent over it is {@link Extent#compressed()}.
     *
     * @throws ImageException when the metadata that locates the payload is corrupt (e.g. points past the end
     *                        of the file), or {@code guestOffset} is outside the image
     */
    default Optional<CompressedPayload> compressedPayload(long guestOffset) throws IOException {
        return Optional.empty();
    }

    /**
     * The file that the host offsets of this layer's extent at {@code guestOffset} refer to, named as
     * {@code qemu-img map} prints it: by default the external data file as {@link ImageLayout} names it, else
     * this image's file. A format whose extents live in several files (VMDK) names the one holding that offset.
     */
    default String hostFile(long guestOffset) {
        String dataFile = layout().externalDataFile();
        return dataFile != null ? dataFile : path().toString();
    }

    /** The opened backing image, if this layer has one. */
    default Optional<DiskImage> backing() {
        return Optional.empty();
    }

    /** Header facts for {@code info}. */
    ImageInfo info() throws IOException;

    /** Internal snapshots, in table order. */
    default List<SnapshotInfo> snapshots() {
        return List.of();
    }

    /**
     * A read-only view of an internal snapshot, chosen by id first and then by name, as {@code qemu-img
     * convert -l} does. Closing the view does not close this image.
     */
    default DiskImage openSnapshot(String idOrName) throws IOException {
        throw new ImageException(path() + ": format " + formatName() + " has no internal snapshots");
    }

    /** Bytes the file occupies on disk (allocated blocks), as {@code actual-size}. */
    long actualSize() throws IOException;
}
