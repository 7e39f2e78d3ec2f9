package org.qimg.format.vmdk;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.qimg.format.ClusterSink;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.NewImage;
import org.qimg.format.OpenOptions;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.codec.ClusterCompressor;
import org.qimg.format.vmdk.layout.DescriptorLayout;
import org.qimg.format.vmdk.write.DescriptorFileWriter;
import org.qimg.format.vmdk.write.GrainDeflater;
import org.qimg.format.vmdk.write.SparseWriter;
import org.qimg.format.vmdk.write.StreamWriter;
import org.qimg.format.vmdk.write.VmdkCreateOptions;

/**
 * VMDK targets ({@code -O vmdk}, {@code create -f vmdk}): options parsed and checked as qemu-img 7.2 does, then
 * a writer per subformat. {@code VmdkFormat.create/openForUpdate} delegate here.
 */
public final class VmdkTargets {
    private VmdkTargets() {
    }

    public static NewImage create(TargetRequest request) throws ImageException {
        VmdkCreateOptions.Builder b = VmdkCreateOptions.builder().apply(request.optionText());
        if (request.backingFile() != null) {
            b.set("backing_file", request.backingFile());
        }
        if (request.backingFormat() != null) {
            b.set("backing_fmt", request.backingFormat());
        }
        if (request.compressed() && (DescriptorLayout.MONOLITHIC_FLAT.equals(b.given("subformat"))
                || DescriptorLayout.TWO_GB_FLAT.equals(b.given("subformat")))) {
            // qemu-img: a flat extent has no cluster size to compress (it fails after creating the files)
            throw new ImageException("invalid cluster size");
        }
        return new NewImage() {
            @Override
            public String backingFile() {
                return b.given("backing_file");
            }

            @Override
            public String backingFormat() {
                return b.given("backing_fmt");
            }

            @Override
            public String given(String key) {
                return b.given(key);
            }

            @Override
            public boolean isSet(String key) {
                return b.isSet(key);
            }

            @Override
            public String describe() {
                return b.describe();
            }

            @Override
            public TargetImage build() throws ImageException {
                return new Target(b.build());
            }
        };
    }

    /** {@code convert -n} into an existing VMDK: not written by qimg yet. */
    public static TargetImage openForUpdate(Path existing, TargetRequest request) throws IOException {
        throw new UnsupportedFeatureException("qimg cannot write into an existing vmdk image (-n); convert to a new"
                + " file instead");
    }

    /** A new VMDK image of the given options; the virtual size comes with {@link #start}. */
    private record Target(VmdkCreateOptions options) implements TargetImage {
        @Override
        public String formatName() {
            return "vmdk";
        }

        @Override
        public int clusterSize() {
            return 64 * 1024;
        }

        @Override
        public boolean hasBacking() {
            return options.backingFile() != null;
        }

        /** streamOptimized grains are always compressed (-c or not); -c changes nothing for the others. */
        @Override
        public boolean compressed() {
            return options.stream();
        }

        @Override
        public ClusterCompressor newCompressor(Consumer<String> fallbackNotice) {
            if (!options.stream()) {
                throw new IllegalStateException("only streamOptimized vmdk targets compress");
            }
            return new GrainDeflater();
        }

        @Override
        public ClusterSink start(FileChannel channel, Path pathForErrors, long virtualSize) throws IOException {
            if (virtualSize == 0 && !options.sizeGiven()) {
                // qemu-img convert creates such an image, then cannot open it (or, for flat ones, aborts)
                throw new ImageException("Could not open '" + pathForErrors + "': " + (options.flat() || options.split()
                        ? "an empty " + options.subformat() + " image has no extent"
                        : "Unsupported image type '" + options.subformat() + "'"));
            }
            VmdkCreateOptions o = options.withSize(virtualSize);
            if (o.flat() || o.split()) {
                return DescriptorFileWriter.create(channel, pathForErrors, o);
            }
            return o.stream() ? StreamWriter.create(channel, pathForErrors, o)
                    : SparseWriter.create(channel, pathForErrors, o);
        }
    }
}
