package org.qimg.format;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One image format: recognises its files by their first bytes, opens them for reading, and (when
 * {@link #writable()}) creates new images and opens existing ones for in-place writes. Implementations are
 * registered in {@link ImageFormats}; nothing outside the format's package needs its concrete classes.
 */
public interface ImageFormat {

    /** The name as qemu-img's {@code -f} spells it. */
    String name();

    /**
     * True when {@code header[0..length)} identify this format: the file's first 512 bytes, zero-padded
     * when the file is shorter (as QEMU's probe buffer). A match scores as QEMU's magic matches (100).
     */
    boolean matches(byte[] header, int length);

    /** Opens {@code path} for reading. */
    DiskImage open(Path path, OpenOptions options) throws IOException;

    /**
     * Opens for reading an image whose bytes are {@code bytes}, a read-only channel that is no file of its own:
     * the decompressed content of a compressed container, read through its index or from an unnamed temporary
     * copy. {@code file} is the file the user named: messages, {@link DiskImage#path()} and the file names
     * {@code map} shows are its, and files the image refers to (a backing file) are looked for beside it.
     * Nothing is locked, and the allocation of {@code file} on the host says nothing about the image. The
     * image owns {@code bytes} once this returns (closing the image closes it). Formats that cannot read
     * from a channel keep this default, which refuses.
     */
    default DiskImage open(Path file, java.nio.channels.FileChannel bytes, OpenOptions options) throws IOException {
        throw new UnsupportedFeatureException("Could not open '" + file + "': qimg cannot read " + name()
                + " images inside a compressed file or archive");
    }

    /** True when qimg can write images of this format ({@link #create}, {@link #openForUpdate}). */
    default boolean writable() {
        return false;
    }

    /**
     * Parses the options of a new image (qemu-img's {@code -o}, {@code -B}, {@code -F}, {@code -c}); fails on
     * options the format does not know or cannot parse. The image is written later, through the
     * {@link TargetImage} that {@link NewImage#build()} returns.
     */
    default NewImage create(TargetRequest request) throws ImageException {
        throw new UnsupportedFeatureException("Format '" + name() + "' cannot be written");
    }

    /**
     * Opens the existing image {@code existing} for in-place writes (qemu-img convert {@code -n}): refuses the
     * parts of {@code request} that make no sense for an existing image, then reads what the target needs
     * (e.g. the cluster size and compression type from a header). Nothing is written here.
     */
    default TargetImage openForUpdate(Path existing, TargetRequest request) throws IOException {
        throw new UnsupportedFeatureException("Format '" + name() + "' cannot be written");
    }

    /**
     * Opens the existing image {@code existing} for guest writes in place, made as QEMU's driver for the format
     * makes them: what {@code qemu-img rebase} in safe mode writes into its overlay (one write request per sink
     * call, subcluster masks, compressed clusters with {@code compressed}) and {@code qemu-img commit} into its
     * base (whole clusters, zero clusters through {@link ClusterSink#writeZeroUnmap}, whose freed storage is
     * discarded). Unlike {@link #openForUpdate}, images with internal snapshots, extended L2 entries or an
     * external data file are accepted (qcow2). Nothing is written here; {@link TargetImage#start} opens the
     * sink on the caller's read-write channel of {@code existing} (the caller closes it after the sink); the
     * sink opens and closes any other file it needs (an external data file). The caller holds the image's lock.
     *
     * @throws UnsupportedFeatureException "Operation not supported" for a format qimg has no such writer for
     *                                     (callers that can do with {@link #openForUpdate}'s sink fall back to
     *                                     it, as rebase does; commit refuses)
     */
    default TargetImage openForGuestWrites(Path existing, boolean compressed) throws IOException {
        throw new UnsupportedFeatureException("Operation not supported");
    }

    /**
     * Changes the virtual size of the existing image {@code path} in place, as {@code qemu-img resize}
     * ({@code bdrv_co_truncate} with {@code exact}): grows or shrinks it to {@code request.newSize()}. The
     * caller has already applied qemu-img's rules that do not depend on the format (positive size, a shrink
     * only with {@code --shrink}, no preallocation when not growing). Messages are QEMU's.
     */
    default void resize(java.nio.file.Path path, ResizeRequest request) throws IOException {
        throw new UnsupportedFeatureException("Image format driver does not support resize");
    }

    /**
     * Creates an internal snapshot named {@code name} of the image's current state ({@code qemu-img snapshot
     * -c}), dated {@code dateSec}/{@code dateNsec} (the caller's clock, as qemu-img's).
     */
    default void createSnapshot(java.nio.file.Path path, String name, long dateSec, long dateNsec)
            throws IOException {
        throw new UnsupportedFeatureException("Operation not supported");
    }

    /** Reverts the image to the internal snapshot whose id or name is {@code idOrName} ({@code snapshot -a}). */
    default void applySnapshot(java.nio.file.Path path, String idOrName) throws IOException {
        throw new UnsupportedFeatureException("Operation not supported");
    }

    /**
     * Deletes the internal snapshot whose id or name is {@code idOrName} ({@code snapshot -d}); throws
     * {@link SnapshotNotFoundException} when there is none.
     */
    default void deleteSnapshot(java.nio.file.Path path, String idOrName) throws IOException {
        throw new UnsupportedFeatureException("Operation not supported");
    }

    /**
     * {@code qemu-img amend} of this format's images, or null when the format has no amendable options
     * (qemu-img: "Format driver 'FMT' does not support option amendment").
     */
    default ImageAmender amender() {
        return null;
    }

    /**
     * Opens the persistent dirty bitmaps of the image {@code path} as QEMU opens its node without a backing
     * chain: for changes ({@code qemu-img bitmap}) when {@code write}, else for reading (a source to merge or
     * copy bitmaps from). {@code node} is the node name QEMU's messages give the image. A format that keeps no
     * bitmaps has none, and cannot store one ({@link PersistentBitmaps#none}).
     */
    default PersistentBitmaps openBitmaps(java.nio.file.Path path, boolean write, String node) throws IOException {
        open(path, OpenOptions.DEFAULT.withoutBacking().metadataOnly()).close();
        return PersistentBitmaps.none(node);
    }

    /**
     * Makes the existing image {@code image} refer to the backing file {@code backingName} of format
     * {@code backingFormat}, in place, as QEMU's {@code bdrv_change_backing_file} (what {@code qemu-img rebase}
     * and {@code amend -o backing_file} end with): only the header changes, never guest data. The name is
     * stored as given (relative names are resolved against the image's directory when the image is opened).
     *
     * @param backingName   the new name, or null (or empty) for no backing file at all
     * @param backingFormat the format to record, or null to record none (never recorded without a name)
     * @param forceShare    {@code -U}: share every permission with other processes
     * @throws ImageException with QEMU's {@code strerror} text as the message when the format refuses the
     *                        change ("Invalid argument": a name longer than 1023 bytes; "No space left in the
     *                        file header": the header does not fit in its space); "Operation not supported"
     *                        for a format without backing files
     */
    default void setBackingFile(Path image, String backingName, String backingFormat, boolean forceShare)
            throws IOException {
        throw new UnsupportedFeatureException("Operation not supported");
    }

    /**
     * Makes every guest cluster of the existing image {@code image} read from its backing file again, as QEMU's
     * {@code bdrv_make_empty} (what {@code qemu-img commit} does to the committed overlay).
     *
     * @throws UnsupportedFeatureException "Operation not supported" for a format that cannot (qemu-img commit
     *                                     then leaves the image as it is)
     */
    default void makeEmpty(Path image, boolean forceShare) throws IOException {
        throw new UnsupportedFeatureException("Operation not supported");
    }
}
