package org.qimg.format.qcow2.layout;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.qimg.format.CorruptImageException;
import org.qimg.format.FileOpenException;

/**
 * The walk over the header extensions (qcow2.txt, "Header extensions"), as QEMU's
 * {@code qcow2_read_extensions} does it: each extension is an 8-byte head (type, length) and a payload padded
 * to a multiple of 8; the length is checked against the bytes that remain before anything else, even that of
 * the end marker (type 0), which ends the walk. The area ends at the backing file name, or else at the end of
 * the first cluster. What each type means is the caller's; only the framing lives here.
 */
public final class ExtensionWalk {
    /**
     * One extension.
     *
     * @param type    its type (see {@link HeaderLayout}'s {@code EXT_*})
     * @param length  bytes of payload
     * @param payload where the payload starts in the area buffer
     * @param at      file offset of the extension's head (for messages)
     */
    public record Extension(int type, int length, int payload, long at) {
    }

    /** What the caller does with each extension before the end marker. */
    @FunctionalInterface
    public interface Visitor {
        void visit(Extension e) throws IOException;
    }

    private ExtensionWalk() {
    }

    /**
     * Walks {@code area} (the file's bytes from {@code areaStart}, up to the end of the extension area) and
     * hands each extension to {@code visitor}; {@code file} names the image in errors.
     */
    /** qcow2_read_extensions' words for an extension that does not fit; qimg's detail is the cause. */
    private static FileOpenException tooLarge(String file, CorruptImageException detail) {
        return new FileOpenException(file, "Header extension too large", detail);
    }

    public static void walk(ByteBuffer area, long areaStart, String file, Visitor visitor) throws IOException {
        int pos = 0;
        long end = areaStart + area.limit();
        while (pos < area.limit()) {
            long at = areaStart + pos;
            if (area.limit() - pos < 8) {
                throw tooLarge(file, new CorruptImageException(file, at, "header extension too large: its 8-byte "
                        + "head crosses offset " + end + ", where the extension area ends"));
            }
            int type = area.getInt(pos);
            long len = Integer.toUnsignedLong(area.getInt(pos + 4));
            pos += 8;
            if (len > area.limit() - pos) {
                throw tooLarge(file, new CorruptImageException(file, at, String.format("header extension too large: "
                        + "0x%08x has length %d, but only %d bytes remain before offset %d", type, len,
                        area.limit() - pos, end)));
            }
            if (type == HeaderLayout.EXT_END) {
                return;
            }
            visitor.visit(new Extension(type, (int) len, pos, at));
            pos += (int) ((len + 7) & ~7L);
        }
    }
}
