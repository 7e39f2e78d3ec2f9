package org.qimg.converters.map;

import org.qimg.format.ImageException;

/** {@code qemu-img map}'s two output formats, produced entry by entry so long maps stream. */
public final class MapText {
    private MapText() {
    }

    public static String humanHeader() {
        return String.format("%-16s%-16s%-16s%s%n", "Offset", "Length", "Mapped to", "File");
    }

    /**
     * The human line for {@code e} (empty when qemu-img prints none for it).
     *
     * @throws ImageException for data without a host offset (compressed clusters), as qemu-img refuses
     */
    public static String humanLine(MapEntry e) throws ImageException {
        if (e.data() && !e.hasOffset()) {
            throw new ImageException("File contains external, encrypted or compressed clusters.");
        }
        if (e.data() && !e.zero()) {
            return hex16(e.start()) + hex16(e.length()) + hex16(e.offset()) + e.filename() + "\n";
        }
        return "";
    }

    /** {@code printf("%#-16" PRIx64)}: "0" for zero, else 0x-prefixed hex, left-aligned in 16 columns. */
    static String hex16(long v) {
        String s = v == 0 ? "0" : "0x" + Long.toHexString(v);
        return String.format("%-16s", s);
    }

    /** Opening of the JSON array; the first entry follows directly. */
    public static String jsonOpen() {
        return "[";
    }

    /** One JSON entry in qemu-img's exact layout, with the separator or closing bracket after it. */
    public static String jsonEntry(MapEntry e, boolean last) {
        StringBuilder b = new StringBuilder(128);
        b.append("{ \"start\": ").append(e.start())
                .append(", \"length\": ").append(e.length())
                .append(", \"depth\": ").append(e.depth())
                .append(", \"present\": ").append(e.present())
                .append(", \"zero\": ").append(e.zero())
                .append(", \"data\": ").append(e.data());
        if (e.hasOffset()) {
            b.append(", \"offset\": ").append(e.offset());
        }
        b.append('}');
        b.append(last ? "]\n" : ",\n");
        return b.toString();
    }
}
