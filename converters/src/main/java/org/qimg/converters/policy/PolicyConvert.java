package org.qimg.converters.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.qimg.converters.convert.CompressionPolicy;
import org.qimg.converters.convert.ConvertOptions;
import org.qimg.converters.convert.ConvertResult;
import org.qimg.converters.convert.Converter;
import org.qimg.format.DiskImage;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.codec.Compressors;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;
import org.qimg.format.qcow2.write.Qcow2Writer;

/**
 * {@code convert -c -O qcow2} with plain-keeping policies, wired end to end: the reference for how the
 * CLI's convert command applies {@link PlainPolicies} (a library entry point; qimg convert -c --keep-plain... is the CLI one).
 */
public final class PolicyConvert {
    private PolicyConvert() {
    }

    /** Converts {@code sources} (concatenated) into a fresh compressed qcow2 v3 at {@code destination}. */
    public static ConvertResult toCompressedQcow2(List<DiskImage> sources, Path destination, CompressionType codec,
                                                  int clusterSize, PlainPolicies policies, int threads)
            throws IOException {
        long virtualSize = 0;
        for (DiskImage s : sources) {
            virtualSize = Math.addExact(virtualSize, s.virtualSize());
        }
        CompressionPolicy policy = policies.build(clusterSize, virtualSize);
        ConvertOptions options = ConvertOptions.builder()
                .threads(threads)
                .clusterTarget((channel, path, size) -> Qcow2Writer.create(channel, path,
                        Qcow2CreateOptions.builder(size).clusterSize(clusterSize).compressionType(codec).build()))
                .compress(() -> Compressors.create(codec, Compressors.defaultLevel(codec), clusterSize))
                .policy(policy)
                .build();
        return Converter.convert(sources, destination, options);
    }
}
