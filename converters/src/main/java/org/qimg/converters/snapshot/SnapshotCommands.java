package org.qimg.converters.snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.qimg.converters.info.InfoReport;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;
import org.qimg.format.SnapshotInfo;

/**
 * The four actions of {@code qemu-img snapshot} on an image whose format is probed (qemu-img snapshot has no
 * {@code -f}). The probed format's name goes to {@code probed} first (qemu-img warns about a raw image it
 * opens for writing).
 */
public final class SnapshotCommands {
    private SnapshotCommands() {
    }

    /** {@code -l}: the listing qemu-img prints, empty when the image has no snapshots. */
    public static String list(Path path, boolean forceShare) throws IOException {
        try (DiskImage image = ImageFormats.open(path, null, OpenOptions.DEFAULT.forceShare(forceShare))) {
            List<SnapshotInfo> snapshots = image.snapshots();
            if (snapshots.isEmpty()) {
                return "";
            }
            StringBuilder b = new StringBuilder("Snapshot list:\n");
            b.append(String.format("%-10s%-17s%8s%20s%13s%11s", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK",
                    "ICOUNT")).append('\n');
            for (SnapshotInfo s : snapshots) {
                b.append(InfoReport.snapshotLine(s)).append('\n');
            }
            return b.toString();
        }
    }

    /** The probed format of {@code path}, after the checks an open for writing makes. */
    public static ImageFormat writableFormat(Path path, Consumer<String> probed) throws IOException {
        return writableFormat(path, null, probed);
    }

    /**
     * The format of {@code path}: {@code format} when block options named it, else the probed one (whose name
     * goes to {@code probed}), after the checks an open for writing makes.
     */
    public static ImageFormat writableFormat(Path path, String format, Consumer<String> probed) throws IOException {
        ImageFormats.requireReadableFile(path);
        if (format != null) {
            return ImageFormats.byName(format);
        }
        ImageFormat f = ImageFormats.probe(path);
        probed.accept(f.name());
        return f;
    }

    /** {@code -c NAME}, dated now. */
    public static void create(ImageFormat f, Path path, String name) throws IOException {
        java.time.Instant now = java.time.Instant.now();
        f.createSnapshot(path, name, now.getEpochSecond(), (now.getNano() / 1000) * 1000L);
    }
}
