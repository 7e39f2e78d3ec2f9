package org.qimg.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.qimg.converters.convert.SnapshotSpec;
import org.qimg.converters.measure.ImageMeasure;
import org.qimg.converters.measure.MeasureResult;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code qimg measure [--output=human|json] [-O FMT] [-o OPTIONS] (--size N | [-f FMT] FILE)}. */
@Command(name = "measure", description = "Calculate the file size needed for a new image, as qemu-img measure.")
final class MeasureCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--output", description = "human (default) or json.")
    String output = "human";

    @Option(names = "-O", description = "Output format: raw (default) or qcow2.")
    String outFormat = "raw";

    @Option(names = "-o", description = "Output format options, k=v[,k=v...].")
    java.util.List<String> options = new java.util.ArrayList<>();

    @Option(names = "--size", description = "Virtual size instead of a source image.")
    String size;

    @Option(names = "-f", description = "Source image format (probed when absent).")
    String format;

    @Option(names = "-l", paramLabel = "SNAPSHOT", description = "Measure this internal snapshot of FILE: ID_OR_NAME,"
            + " or snapshot.id=ID[,snapshot.name=NAME].")
    String snapshot;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE")
    Path file;

    /** ImageMeasure, with its messages printed on as many lines as qemu-img prints them. */
    private MeasureResult measure(String opts, Long size, DiskImage img) throws java.io.IOException {
        try {
            return ImageMeasure.measure(outFormat, opts, size, img);
        } catch (org.qimg.format.UnsupportedFeatureException e) {
            throw e;
        } catch (org.qimg.format.ImageException e) {
            throw new ExitCodeException(1, e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        if (!output.equals("human") && !output.equals("json")) {
            throw new ExitCodeException(1, "--output must be used with human or json as argument.");
        }
        if (file == null && (format != null || snapshot != null)) {
            throw new ExitCodeException(1, "--image-opts, -f, and -l require a filename argument.");
        }
        if (size != null && file != null) {
            throw new ExitCodeException(1, "--size N cannot be used together with a filename.");
        }
        if (size == null && file == null) {
            throw new ExitCodeException(1, "Either --size N or one filename must be specified.");
        }
        String opts = String.join(",", options);
        MeasureResult r;
        if (size != null) {
            long s = Sizes.parse("image size", size, spec.commandLine().getErr());
            r = measure(opts, s, null);
        } else {
            SnapshotSpec snap = snapshot == null ? null : SnapshotSpec.parse(snapshot);
            try (DiskImage img = ImageFormats.open(file, format)) {
                if (snap == null) {
                    r = measure(opts, null, img);
                } else {
                    try (DiskImage at = snap.open(img)) {
                        r = measure(opts, null, at);
                    }
                }
            }
        }
        var out = spec.commandLine().getOut();
        if (output.equals("json")) {
            ObjectNode n = JsonNodeFactory.instance.objectNode();
            if (r.bitmaps() != null) {
                n.put("bitmaps", r.bitmaps());
            }
            n.put("required", r.required());
            n.put("fully-allocated", r.fullyAllocated());
            out.println(Json.pretty(n));
        } else {
            out.println("required size: " + r.required());
            out.println("fully allocated size: " + r.fullyAllocated());
            if (r.bitmaps() != null) {
                out.println("bitmaps size: " + r.bitmaps());
            }
        }
        out.flush();
        return 0;
    }
}
