package org.qimg.cli;

import org.qimg.converters.convert.ConvertOptions;
import org.qimg.format.ImageException;
import org.qimg.format.codec.Compressors;
import org.qimg.format.qcow2.Qcow2CreateOptions;
import org.qimg.format.qcow2.Qcow2Writer;

/**
 * Wires {@code -O qcow2} (with {@code -o}, {@code -B}, {@code -F}, {@code -c}) to the format module's qcow2
 * writer and compressors.
 */
final class Qcow2Target {
    private Qcow2Target() {
    }

    /** Sets up {@code b} for a qcow2 target; returns the parsed creation options (size still 0). */
    static Qcow2CreateOptions configure(ConvertOptions.Builder b, String options, String backing, String backingFormat,
                          boolean compress) throws ImageException {
        Qcow2CreateOptions.Builder ob = Qcow2CreateOptions.builder(0).apply(options == null ? "" : options);
        if (backing != null) {
            ob.backingFile(backing, backingFormat);
        }
        Qcow2CreateOptions parsed = ob.build();
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
