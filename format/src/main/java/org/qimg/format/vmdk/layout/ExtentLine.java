package org.qimg.format.vmdk.layout;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * One extent line of a VMDK text descriptor ("Virtual Disk Format 5.0", "Extent Descriptions"):
 * {@code ACCESS SECTORS TYPE ["FILE" [OFFSET]]}, e.g. {@code RW 20480 SPARSE "disk.vmdk"} or
 * {@code RW 4192256 FLAT "disk-f001.vmdk" 0}. A {@code ZERO} extent names no file.
 *
 * @param access  {@code RW}, {@code RDONLY} or {@code NOACCESS}
 * @param sectors the extent's size in sectors
 * @param type    one of {@link #TYPES}
 * @param file    the file name as written between the quotes (relative to the descriptor's directory unless
 *                absolute); null for a {@code ZERO} extent
 * @param offset  for flat extents, the sector in {@code file} where the extent's data starts; 0 otherwise
 */
public record ExtentLine(String access, long sectors, String type, String file, long offset) {

    public static final Set<String> ACCESS = Set.of("RW", "RDONLY", "NOACCESS");
    /** The extent types QEMU 7.2 knows (it refuses {@code VMFSRDM} and {@code VMFSRAW} data access). */
    public static final Set<String> TYPES =
            Set.of("FLAT", "SPARSE", "ZERO", "VMFS", "VMFSSPARSE", "VMFSRDM", "VMFSRAW", "SESPARSE");

    /**
     * The extent line {@code line} (without its line end), or empty when it is not one (QEMU skips such lines).
     * Numbers that do not fit a signed 64-bit value, unknown access words and unknown types are "not an extent
     * line"; whether a parsed line is acceptable (a flat extent with an offset, a sparse one without) is the
     * reader's rule.
     */
    public static Optional<ExtentLine> parse(String line) {
        String[] head = line.strip().split("\\s+", 4);
        if (head.length < 3 || !ACCESS.contains(head[0])) {
            return Optional.empty();
        }
        long sectors;
        try {
            sectors = Long.parseLong(head[1]);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        String type = head[2];
        if (!TYPES.contains(type)) {
            return Optional.empty();
        }
        if (head.length == 3) {
            return Optional.of(new ExtentLine(head[0], sectors, type, null, 0));
        }
        String rest = head[3];
        if (!rest.startsWith("\"")) {
            return Optional.empty();
        }
        int close = rest.indexOf('"', 1);
        if (close < 0) {
            return Optional.empty();
        }
        String file = rest.substring(1, close);
        String tail = rest.substring(close + 1).strip();
        long offset = 0;
        if (!tail.isEmpty()) {
            try {
                offset = Long.parseLong(tail.split("\\s+")[0]);
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        return Optional.of(new ExtentLine(head[0], sectors, type, file, offset));
    }

    /** The line as a descriptor stores it; flat extents always carry their offset. */
    public String format() {
        StringBuilder s = new StringBuilder().append(access).append(' ').append(sectors).append(' ').append(type);
        if (file != null) {
            s.append(" \"").append(file).append('"');
            if (isFlat()) {
                s.append(' ').append(offset);
            }
        }
        return s.toString();
    }

    /** True for extents whose data is stored as is ({@code FLAT}, {@code VMFS}). */
    public boolean isFlat() {
        return type.equals("FLAT") || type.equals("VMFS");
    }

    /** True for extents with grain tables ({@code SPARSE}, {@code VMFSSPARSE}, {@code SESPARSE}). */
    public boolean isSparse() {
        String t = type.toUpperCase(Locale.ROOT);
        return t.equals("SPARSE") || t.equals("VMFSSPARSE") || t.equals("SESPARSE");
    }
}
