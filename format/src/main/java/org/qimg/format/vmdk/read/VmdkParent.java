package org.qimg.format.vmdk.read;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.qimg.format.CorruptImageException;
import org.qimg.format.DiskImage;
import org.qimg.format.FileOpenException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageLimitException;
import org.qimg.format.OpenOptions;
import org.qimg.format.UnsupportedFormatException;

/**
 * The parent of a VMDK (its {@code parentFileNameHint}), opened as QEMU opens it: a file named relative to
 * the image's directory unless absolute, always read as vmdk, the chain bounded in depth and free of loops.
 */
final class VmdkParent {
    private VmdkParent() {
    }

    static Path resolve(Path image, String name) throws ImageException {
        Path n;
        try {
            n = Path.of(name);
        } catch (InvalidPathException e) {
            throw new ImageException(image + ": parentFileNameHint '" + name + "' is not a valid path: "
                    + e.getReason());
        }
        Path dir = image.getParent();
        return n.isAbsolute() || dir == null ? n : dir.resolve(n);
    }

    static DiskImage open(Path image, String hint, OpenOptions options) throws IOException {
        String f = image.toString();
        Path p = resolve(image, hint);
        if (options.chain().size() + 1 > OpenOptions.MAX_CHAIN_DEPTH) {
            throw new ImageLimitException(f + ": backing chain is deeper than " + OpenOptions.MAX_CHAIN_DEPTH
                    + " images (parent '" + hint + "')");
        }
        if (!Files.exists(p)) {
            throw new ImageException(f + ": could not open backing file '" + p + "': No such file or directory");
        }
        Path self = image.toRealPath();
        Path real = p.toRealPath();
        if (real.equals(self) || options.chain().contains(real)) {
            throw new CorruptImageException(f, -1, "backing chain loop: parentFileNameHint '" + hint + "' (" + real
                    + ") is already open above this image");
        }
        try {
            ImageFormats.requireReadableFile(p);
            return ImageFormats.open(p, "vmdk", options.below(self));
        } catch (FileOpenException | UnsupportedFormatException e) {
            throw new ImageException(f + ": could not open backing file: " + e.getMessage(), e);
        }
    }

    static void closeQuietly(DiskImage img) {
        if (img != null) {
            try {
                img.close();
            } catch (IOException e) {
                // already failing, or closing: the first error is the one to report
            }
        }
    }
}
