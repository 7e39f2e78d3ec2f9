package org.qimg.format.probe;

import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormat;
import org.qimg.format.OpenOptions;
import org.qimg.format.UnsupportedFormatException;

/**
 * A format qimg recognises but does not read: a disk image format QEMU knows (found by its signature or
 * named with {@code -f}), or a compressed stream or archive around some other file. It never matches a
 * header by itself (the probe in {@link org.qimg.format.ImageFormats} finds it through {@link Signatures});
 * opening it always fails with one line that names the file and what it is, so that such a file is never
 * read as raw by accident. {@link org.qimg.format.ImageFormats#open} reads the image inside compressed files
 * and archives ({@link org.qimg.format.container.Containers}) before it comes to this; what reaches here
 * are commands that need the file itself (check, backing files).
 */
public final class ForeignFormat implements ImageFormat {
    private final Signature signature;
    private final boolean probed;

    private ForeignFormat(Signature signature, boolean probed) {
        this.signature = signature;
        this.probed = probed;
    }

    /** The format a probe found by {@code signature}. */
    public static ForeignFormat detected(Signature signature) {
        return new ForeignFormat(signature, true);
    }

    /** The format the user named (e.g. {@code -f vhdx}). */
    public static ForeignFormat named(Signature signature) {
        return new ForeignFormat(signature, false);
    }

    /** Name as {@code qemu-img -f} spells it (or the container's name: xz, gzip, tar ...). */
    @Override
    public String name() {
        return signature.name();
    }

    public Signature signature() {
        return signature;
    }

    @Override
    public boolean matches(byte[] header, int length) {
        return false;
    }

    @Override
    public DiskImage open(Path path, OpenOptions options) throws UnsupportedFormatException {
        // opened below an overlay (the chain is not empty): -f would name the overlay's format, not this one's
        throw refusal(path, options != null && !options.chain().isEmpty());
    }

    /** The one-line error for {@code path} opened as an image the user named. */
    public UnsupportedFormatException refusal(Path path) {
        return refusal(path, false);
    }

    /**
     * The one-line error for {@code path}; for a {@code backing} file the way to read it as raw anyway is to
     * record raw as its format in the overlay, not {@code -f raw}.
     */
    public UnsupportedFormatException refusal(Path path, boolean backing) {
        String file = "Could not open '" + path + "': ";
        String raw = backing ? "record raw as its backing format, e.g. qemu-img rebase -u -b FILE -F raw, to read its "
                + "bytes as raw" : "use -f raw to read its bytes as raw";
        return new UnsupportedFormatException(switch (signature.kind()) {
            case IMAGE -> probed
                    ? file + "image format '" + name() + "' is not supported by qimg (" + signature.what()
                            + ", detected by its " + signature.evidence() + "; " + raw + ")"
                    : file + "image format '" + name() + "' is not supported by qimg (qimg reads qcow2, vmdk and raw)";
            case COMPRESSED -> file + "it is " + signature.what() + ", which this command does not read (info, "
                    + "convert, compare, checksum, map, measure and analyze read the image inside; decompress it "
                    + "first, or " + raw + ")";
            case ARCHIVE -> file + "it is " + signature.what() + " (an OVA is one), which this command does not "
                    + "read (info, convert, compare, checksum, map, measure and analyze read a member, named as "
                    + "tar:ARCHIVE::MEMBER; extract it first, or " + raw + ")";
        });
    }

    @Override
    public String toString() {
        return name();
    }
}
