package org.qimg.converters.info;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageInfo;
import org.qimg.format.OpenOptions;
import org.qimg.format.container.ContainerImage;
import org.qimg.format.io.LockPerms;
import org.qimg.format.spec.SpecOpener;

/**
 * Gathers {@code info} reports for one image or, with {@code chain}, for it and every backing file below,
 * each opened on its own without its backing file (so a missing backing file still shows its overlay) and, as
 * qemu-img info, without files that hold only guest data (a qcow2 external data file).
 */
public final class InfoCollector {
    private InfoCollector() {
    }

    public static List<InfoReport> collect(String filename, String format, boolean chain) throws IOException {
        return collect(filename, format, chain, false);
    }

    /**
     * As {@link #collect(String, String, boolean)}; each image is locked as qemu-img info locks it (no read
     * permission; a qcow2 file does not share write and resize), or not at all with {@code forceShare}.
     */
    public static List<InfoReport> collect(String filename, String format, boolean chain, boolean forceShare)
            throws IOException {
        OpenOptions open = OpenOptions.DEFAULT.withoutBacking().metadataOnly().withLock(LockPerms.METADATA)
                .forceShare(forceShare);
        List<InfoReport> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String name = filename;
        String fmt = format;
        while (name != null) {
            if (!seen.add(name)) {
                throw new ImageException("Backing file '" + name + "' creates an infinite loop.");
            }
            if (out.size() > OpenOptions.MAX_CHAIN_DEPTH) {
                throw new ImageException(filename + ": backing chain is deeper than "
                        + OpenOptions.MAX_CHAIN_DEPTH + " images");
            }
            ImageInfo info;
            try (DiskImage image = ImageFormats.open(Path.of(name), fmt, open)) {
                info = image.info();
                out.add(new InfoReport(SpecOpener.displayName(name, fmt), info, image.snapshots(), image.actualSize(),
                        image instanceof ContainerImage c ? c.json() : null));
            }
            if (!chain) {
                break;
            }
            if (info.fullBackingFilename() != null) {
                name = info.fullBackingFilename();
            } else if (info.backingFilename() != null) {
                throw new ImageException("Could not determine absolute backing filename, but backing filename '"
                        + info.backingFilename() + "' present");
            } else {
                name = null;
            }
            fmt = info.backingFormat();
        }
        return out;
    }
}
