package org.qimg.converters.info;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qimg.format.ImageInfo;
import org.qimg.format.SnapshotInfo;
import org.qimg.format.spec.QemuKeyOrder;

/**
 * One image's {@code qemu-img info} (7.2) report: the JSON object with QEMU's keys, values and key order,
 * and the human text. Pure data; printing is the caller's business.
 *
 * @param filename   the name as given (or, down a chain, the full backing filename)
 * @param actualSize allocated bytes on disk, or -1 when unknown
 * @param container  for an image inside a compressed file or tar archive (qimg's own, not qemu-img's): the
 *                   container's facts (type, sizes, members), shown under the key "container"; else null
 */
public record InfoReport(String filename, ImageInfo info, List<SnapshotInfo> snapshots, long actualSize,
                         Map<String, Object> container) {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    public InfoReport {
        snapshots = List.copyOf(snapshots);
    }

    public InfoReport(String filename, ImageInfo info, List<SnapshotInfo> snapshots, long actualSize) {
        this(filename, info, snapshots, actualSize, null);
    }

    /** The JSON object, keys in QEMU's printing order (see {@link QemuKeyOrder}). */
    public Map<String, Object> json() {
        // Insertion order as QEMU's QAPI visitor builds ImageInfo; QemuKeyOrder turns it into print order.
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("filename", filename);
        m.put("format", info.format());
        m.put("dirty-flag", info.dirty() != null && info.dirty());
        if (actualSize >= 0) {
            m.put("actual-size", actualSize);
        }
        m.put("virtual-size", info.virtualSize());
        if (info.clusterSize() != null && info.clusterSize() != 0) {
            m.put("cluster-size", info.clusterSize());
        }
        if (info.backingFilename() != null) {
            m.put("backing-filename", info.backingFilename());
        }
        if (info.fullBackingFilename() != null) {
            m.put("full-backing-filename", info.fullBackingFilename());
        }
        if (info.backingFormat() != null) {
            m.put("backing-filename-format", info.backingFormat());
        }
        if (!snapshots.isEmpty()) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (SnapshotInfo s : snapshots) {
                list.add(snapshotJson(s));
            }
            m.put("snapshots", list);
        }
        if (info.formatSpecificType() != null) {
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("type", info.formatSpecificType());
            spec.put("data", info.formatSpecific());
            m.put("format-specific", spec);
        }
        if (container != null) {
            m.put("container", container);
        }
        return QemuKeyOrder.reorder(m);
    }

    private static Map<String, Object> snapshotJson(SnapshotInfo s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("name", s.name());
        m.put("vm-state-size", s.vmStateSize());
        m.put("date-sec", s.dateSec());
        m.put("date-nsec", s.dateNsec());
        m.put("vm-clock-sec", s.vmClockNsec() / 1_000_000_000L);
        m.put("vm-clock-nsec", s.vmClockNsec() % 1_000_000_000L);
        if (s.icount() != -1) {
            m.put("icount", s.icount());
        }
        return m;
    }

    /** The human text, each line ending in a newline, as {@code bdrv_image_info_dump} prints it. */
    public String human() {
        StringBuilder b = new StringBuilder();
        b.append("image: ").append(filename).append('\n');
        b.append("file format: ").append(info.format()).append('\n');
        b.append("virtual size: ").append(SizeText.of(info.virtualSize()))
                .append(" (").append(info.virtualSize()).append(" bytes)\n");
        b.append("disk size: ").append(actualSize >= 0 ? SizeText.of(actualSize) : "unavailable").append('\n');
        if (info.clusterSize() != null && info.clusterSize() != 0) {
            b.append("cluster_size: ").append(info.clusterSize()).append('\n');
        }
        if (info.dirty() != null && info.dirty()) {
            b.append("cleanly shut down: no\n");
        }
        if (info.backingFilename() != null) {
            b.append("backing file: ").append(info.backingFilename());
            if (info.fullBackingFilename() == null) {
                b.append(" (cannot determine actual path)");
            } else if (!info.backingFilename().equals(info.fullBackingFilename())) {
                b.append(" (actual path: ").append(info.fullBackingFilename()).append(')');
            }
            b.append('\n');
            if (info.backingFormat() != null) {
                b.append("backing file format: ").append(info.backingFormat()).append('\n');
            }
        }
        if (!snapshots.isEmpty()) {
            b.append("Snapshot list:\n");
            b.append(String.format("%-10s%-17s%8s%20s%13s%11s", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK",
                    "ICOUNT")).append('\n');
            for (SnapshotInfo s : snapshots) {
                b.append(snapshotLine(s)).append('\n');
            }
        }
        if (info.formatSpecificType() != null) {
            b.append("Format specific information:\n");
            dumpDict(b, 1, QemuKeyOrder.reorder(info.formatSpecific()));
        }
        if (container != null) {
            b.append("Container information:\n");
            dumpDict(b, 1, container);
        }
        return b.toString();
    }

    /** QEMU prints ids and names as C strings: up to the first NUL byte. */
    private static String cString(String s) {
        int z = s.indexOf('\0');
        return z < 0 ? s : s.substring(0, z);
    }

    /** One row of the snapshot table, as {@code qemu-img info} and {@code qemu-img snapshot -l} print it. */
    public static String snapshotLine(SnapshotInfo s) {
        String date = DATE.format(Instant.ofEpochSecond(s.dateSec()).atZone(ZoneId.systemDefault()));
        long secs = s.vmClockNsec() / 1_000_000_000L;
        String clock = String.format("%02d:%02d:%02d.%03d", (int) (secs / 3600), (int) ((secs / 60) % 60),
                (int) (secs % 60), (int) ((s.vmClockNsec() / 1_000_000L) % 1000));
        String icount = s.icount() != -1 ? Long.toString(s.icount()) : "";
        return String.format("%-9s %-16s %8s%20s%13s%11s", cString(s.id()), cString(s.name()),
                SizeText.of(s.vmStateSize()),
                date, clock, icount);
    }

    @SuppressWarnings("unchecked")
    private static void dumpValue(StringBuilder b, int indent, Object v) {
        if (v instanceof Map<?, ?> m) {
            dumpDict(b, indent, (Map<String, Object>) m);
        } else if (v instanceof Collection<?> c) {
            int i = 0;
            for (Object o : c) {
                boolean composite = o instanceof Map || o instanceof Collection;
                b.append(" ".repeat(indent * 4)).append('[').append(i++).append("]:").append(composite ? '\n' : ' ');
                dumpValue(b, indent + 1, o);
                if (!composite) {
                    b.append('\n');
                }
            }
        } else {
            b.append(v);
        }
    }

    private static void dumpDict(StringBuilder b, int indent, Map<String, Object> m) {
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            boolean composite = v instanceof Map || v instanceof Collection;
            b.append(" ".repeat(indent * 4)).append(e.getKey().replace('-', ' ')).append(':')
                    .append(composite ? '\n' : ' ');
            dumpValue(b, indent + 1, v);
            if (!composite) {
                b.append('\n');
            }
        }
    }
}
