package org.qimg;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.converters.checksum.ImageChecksum;
import org.qimg.converters.compare.ImageComparator;
import org.qimg.converters.compare.ProgressCallback;
import org.qimg.converters.convert.ConcatImage;
import org.qimg.converters.convert.ConvertOptions;
import org.qimg.converters.convert.ConvertTarget;
import org.qimg.converters.convert.Converter;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.LockPerms;
import org.qimg.format.qcow2.check.CheckMode;
import org.qimg.format.qcow2.check.CheckResult;
import org.qimg.format.qcow2.check.Qcow2Check;

/**
 * qimg as a library: the one public entry point. Everything here behaves as the command line does
 * ({@code qimg convert}, {@code compare}, {@code checksum}, {@code check}); errors are {@link ImageException}s (an
 * {@link IOException}) with the command line's messages.
 *
 * <pre>{@code
 * try (DiskImage disk = Qimg.open(Path.of("disk.qcow2"))) {
 *     ByteBuffer first = ByteBuffer.allocate(512);
 *     disk.read(0, first);
 * }
 * Qimg.convert(Path.of("disk.raw"), Path.of("disk.qcow2"),
 *         ConvertSpec.to("qcow2").compressed().progress((done, total) -> System.out.println(done)));
 * }</pre>
 */
public final class Qimg {
    private Qimg() {
    }

    /** Opens {@code path} for reading, its format probed as qemu-img probes it. Close it when done. */
    public static DiskImage open(Path path) throws IOException {
        return ImageFormats.open(path, null);
    }

    /** Opens {@code path} for reading as {@code format} ({@code "qcow2"}, {@code "raw"}). */
    public static DiskImage open(Path path, String format) throws IOException {
        return ImageFormats.open(path, format);
    }

    /** Converts {@code source} into a new image at {@code destination}, as {@code spec} says. */
    public static void convert(Path source, Path destination, ConvertSpec spec) throws IOException {
        convert(List.of(source), destination, spec);
    }

    /**
     * Converts {@code sources}, concatenated, into a new image at {@code destination}. The new image is written
     * beside it and replaces it only when complete; an existing destination keeps its owner and mode.
     */
    public static void convert(List<Path> sources, Path destination, ConvertSpec spec) throws IOException {
        TargetImage target = ConvertTarget.create(spec.format(), new TargetRequest(spec.options(),
                spec.backingFile(), spec.backingFormat(), spec.isCompressed()), destination.toString(),
                sources.size());
        ConvertOptions options;
        try {
            options = ConvertOptions.builder().target(target).threads(spec.threads()).durable(spec.isDurable())
                    .progress(spec.progressListener()).notices(spec.noticeSink()).build();
        } catch (IllegalArgumentException e) {
            throw new ImageException(e.getMessage());
        }
        List<DiskImage> opened = new ArrayList<>();
        try {
            for (Path s : sources) {
                opened.add(ImageFormats.open(s, spec.sourceFormat(), OpenOptions.DEFAULT.withLock(LockPerms.READ_UNSHARED)));
            }
            Converter.convert(opened, destination, options);
        } finally {
            ConcatImage.closeAll(opened);
        }
    }

    /** True when the two images have the same guest content (as {@code qemu-img compare}, sizes may differ). */
    public static boolean identical(Path a, Path b) throws IOException {
        try (DiskImage x = open(a); DiskImage y = open(b)) {
            return new ImageComparator().compare(x, y, false, ProgressCallback.NONE).identical();
        }
    }

    /** The SHA-256 of the guest content, in hex: the same for a raw file and any qcow2 holding it. */
    public static String checksum(Path image) throws IOException {
        try (DiskImage d = open(image)) {
            return new ImageChecksum().sha256(d, ProgressCallback.NONE);
        }
    }

    /**
     * Checks the refcounts and metadata of a qcow2 image without changing it (as {@code qemu-img check}).
     *
     * @throws UnsupportedFeatureException for a format without checks (raw)
     */
    public static CheckReport check(Path image) throws IOException {
        ImageFormats.requireReadableFile(image);
        String format = ImageFormats.probe(image).name();
        if (!"qcow2".equals(format)) {
            throw new UnsupportedFeatureException("This image format does not support checks");
        }
        List<String> messages = new ArrayList<>();
        CheckResult r = Qcow2Check.run(image, CheckMode.NONE, messages::add);
        return new CheckReport(r.corruptions(), r.leaks(), r.checkErrors(), messages);
    }
}
