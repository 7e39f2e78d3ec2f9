package org.qimg.cli;

import org.qimg.converters.convert.ConvertOptions;
import org.qimg.format.ImageException;
import org.qimg.format.codec.Compressors;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;
import org.qimg.format.qcow2.write.Qcow2Writer;

/**
 * Wires {@code -O qcow2} (with {@code -o}, {@code -B}, {@code -F}, {@code -c}) to the format module's qcow2
 * writer and compressors.
 */
final class Qcow2Target {
    private Qcow2Target() {
    }

    /** Sets up {@code b} for a qcow2 target; returns the parsed creation options (size still 0). */
    static Qcow2CreateOptions configure(ConvertOptions.Builder b, String options, String backing, String backingFormat,
                          boolean compress, String dst, int sources) throws ImageException {
        Qcow2CreateOptions.Builder ob = Qcow2CreateOptions.builder(0).apply(options == null ? "" : options);
        if (backing != null) {
            ob.backingFile(backing, backingFormat != null ? backingFormat : ob.backingFormat());
        }
        // qemu-img convert's own checks, in its order, before the image is created
        if (ob.backingFile() != null && sources > 1) {
            throw new ImageException("Having a backing file for the target makes no sense when concatenating multiple"
                    + " input images");
        }
        if (ob.backingFile() != null && ob.backingFormat() == null) {
            throw new ImageException("Use of backing file requires explicit backing format");
        }
        if (compress && ob.isSet("preallocation") && !"off".equals(ob.given("preallocation"))) {
            throw new ImageException("Compression and preallocation not supported at the same time");
        }
        Qcow2CreateOptions parsed;
        try {
            parsed = ob.build();
        } catch (ImageException e) {
            // found while creating the target: qemu-img names the file and the format
            throw new ImageException(dst + ": error while converting qcow2: " + e.getMessage(), e);
        }
        b.clusterTarget((channel, path, virtualSize) -> {
            Qcow2Writer w = Qcow2Writer.create(channel, path, parsed.withVirtualSize(virtualSize));
            if (compress) {
                w.compressedMode();
            }
            return w;
        });
        if (compress) {
            Compressors.setFallbackNotice(m -> System.err.println("qimg: " + m));
            b.compress(() -> Compressors.create(parsed.compressionType(), parsed.compressionLevel(),
                    parsed.clusterSize()));
        }
        b.targetHasBacking(backing != null || parsed.backingFile() != null);
        return parsed;
    }
}
