package org.qimg.converters.convert;

import java.io.IOException;
import java.util.List;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.SnapshotInfo;

/**
 * The argument of {@code convert -l}, read as qemu-img 7.2 reads it. Either a plain {@code ID_OR_NAME}
 * (a snapshot whose id matches, else one whose name matches), or, when it starts with
 * {@code snapshot.}, an option list {@code snapshot.id=ID,snapshot.name=NAME} (either or both; with
 * both, one snapshot must match both; a repeated key keeps its last value; {@code ,,} is a literal
 * comma; a key without {@code =} means "on"). qemu-img applies the option-list form to the first source
 * image only, and refuses the plain form with more than one source.
 */
public final class SnapshotSpec {
    private static final String PREFIX = "snapshot.";
    private static final String KEY_ID = "snapshot.id";
    private static final String KEY_NAME = "snapshot.name";

    private final String idOrName;
    private final String id;
    private final String name;

    private SnapshotSpec(String idOrName, String id, String name) {
        this.idOrName = idOrName;
        this.id = id;
        this.name = name;
    }

    /**
     * Parses {@code -l}'s argument.
     *
     * @throws ImageException for an option list with a key other than snapshot.id / snapshot.name
     */
    public static SnapshotSpec parse(String arg) throws ImageException {
        if (!arg.startsWith(PREFIX)) {
            return new SnapshotSpec(arg, null, null);
        }
        String id = null;
        String name = null;
        for (String[] kv : options(arg)) {
            switch (kv[0]) {
                case KEY_ID -> id = kv[1];
                case KEY_NAME -> name = kv[1];
                case "id" -> {
                    // QemuOpts takes "id" as the option group's own id; it selects nothing
                }
                default -> throw new ImageException("Invalid parameter '" + kv[0] + "'; Failed in parsing "
                        + "snapshot param '" + arg + "'");
            }
        }
        return new SnapshotSpec(null, id, name);
    }

    /** Splits {@code k=v,k2=v2} QemuOpts style: ",," is a comma inside a name or value. */
    private static List<String[]> options(String arg) {
        List<String[]> out = new java.util.ArrayList<>();
        int i = 0;
        int n = arg.length();
        while (i < n) {
            StringBuilder key = new StringBuilder();
            while (i < n && arg.charAt(i) != '=' && arg.charAt(i) != ',') {
                key.append(arg.charAt(i++));
            }
            if (i >= n || arg.charAt(i) == ',') {
                String k = key.toString();
                out.add(k.startsWith("no") ? new String[] {k.substring(2), "off"} : new String[] {k, "on"});
                i++;
                continue;
            }
            i++; // '='
            StringBuilder value = new StringBuilder();
            while (i < n) {
                char c = arg.charAt(i);
                if (c == ',') {
                    if (i + 1 < n && arg.charAt(i + 1) == ',') {
                        value.append(',');
                        i += 2;
                        continue;
                    }
                    break;
                }
                value.append(c);
                i++;
            }
            i++; // ','
            out.add(new String[] {key.toString(), value.toString()});
        }
        return out;
    }

    /** True for the {@code snapshot.id=/snapshot.name=} form, which qemu-img applies to the first source only. */
    public boolean firstSourceOnly() {
        return idOrName == null;
    }

    /**
     * The read-only view of the selected snapshot of {@code image}.
     *
     * @throws ImageException when no snapshot matches (naming what was asked for), or the format has none
     */
    public DiskImage open(DiskImage image) throws IOException {
        if (idOrName != null) {
            return image.openSnapshot(idOrName);
        }
        List<SnapshotInfo> all = image.snapshots();
        for (SnapshotInfo s : all) {
            if ((id == null || s.id().equals(id)) && (name == null || s.name().equals(name))) {
                // ids are unique in a valid table, so opening by id finds this very entry
                return image.openSnapshot(s.id());
            }
        }
        if (all.isEmpty()) {
            // let the format say whether it has snapshots at all (raw has none)
            image.openSnapshot(id != null ? id : name);
        }
        throw new ImageException(image.path() + ": Failed to load snapshot: Can't find snapshot with "
                + describe() + " (" + all.size() + " snapshots)");
    }

    private String describe() {
        if (id != null && name != null) {
            return "id '" + id + "' and name '" + name + "'";
        }
        return id != null ? "id '" + id + "'" : "name '" + name + "'";
    }

    @Override
    public String toString() {
        return idOrName != null ? idOrName : describe();
    }
}
