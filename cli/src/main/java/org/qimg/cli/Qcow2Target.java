package org.qimg.cli;

import org.qimg.converters.convert.ConvertOptions;
import org.qimg.format.UnsupportedFeatureException;

/**
 * Wires {@code -O qcow2} (with {@code -o}, {@code -B}, {@code -F}, {@code -c}) to the format module's qcow2
 * writer and compressors.
 * TODO(writer): the writer and the compressor factory are placeholders on this branch; wire them here once
 * they are merged (Qcow2CreateOptions from -o, virtual size, backing file; Qcow2Writer.create).
 */
final class Qcow2Target {
    private Qcow2Target() {
    }

    static void configure(ConvertOptions.Builder b, String options, String backing, String backingFormat,
                          boolean compress) {
        b.clusterTarget((channel, path, virtualSize) -> {
            throw new UnsupportedFeatureException(path + ": qcow2 output is not available yet in this build");
        });
        if (compress) {
            b.compress(() -> {
                throw new IllegalStateException("no compressor available");
            });
        }
        b.targetHasBacking(backing != null);
    }
}
