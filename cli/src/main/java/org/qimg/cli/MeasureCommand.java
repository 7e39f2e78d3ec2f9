package org.qimg.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.convert.SnapshotSpec;
import org.qimg.converters.measure.ImageMeasure;
import org.qimg.converters.measure.MeasureResult;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** {@code qimg measure [--output=human|json] [-O FMT] [-o OPTIONS] (--size N | [-f FMT] FILE)}. */
final class MeasureCommand implements Callable<Integer> {
    private CommandSpec spec;

    static CommandSpec spec() {
        MeasureCommand c = new MeasureCommand();
        c.spec = Specs.command("measure", c, "Calculate the file size needed for a new image, as qemu-img measure.")
                .addOption(Specs.option("human|json", "human (default) or json.", "--output"))
                .addOption(Specs.option("FMT", "Output format: raw (default) or qcow2.", "-O"))
                .addOption(Specs.repeated(String.class, "OPTIONS", "Output format options, k=v[,k=v...].", "-o"))
                .addOption(Specs.option("SIZE", "Virtual size instead of a source image.", "--size"))
                .addOption(Specs.option("FMT", "Source image format (probed when absent).", "-f"))
                .addOption(Specs.option("SNAPSHOT", "Measure this internal snapshot of FILE: ID_OR_NAME, or "
                        + "snapshot.id=ID[,snapshot.name=NAME].", "-l"))
                .addOption(ImageOptions.forceShare())
                .addOption(ImageOptions.imageOpts())
                .addPositional(Specs.optionalPositional(0, "FILE", Path.class,
                        "The image to convert, whose size and allocation are measured (or --size)."));
        return c.spec;
    }

    /** ImageMeasure, with its messages printed on as many lines as qemu-img prints them. */
    private static MeasureResult measure(String outFormat, String opts, Long size, DiskImage img)
            throws java.io.IOException {
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
        ParseResult args = spec.commandLine().getParseResult();
        String output = args.matchedOptionValue("--output", "human");
        String outFormat = args.matchedOptionValue("-O", "raw");
        List<String> options = args.matchedOptionValue("-o", List.of());
        String size = args.matchedOptionValue("--size", null);
        String format = args.matchedOptionValue("-f", null);
        String snapshot = args.matchedOptionValue("-l", null);
        Path file = args.matchedPositionalValue(0, null);
        if (file != null) {
            file = Path.of(ImageOptions.imageName(args, file.toString()));
        }
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
            r = measure(outFormat, opts, s, null);
        } else {
            SnapshotSpec snap = snapshot == null ? null : SnapshotSpec.parse(snapshot);
            try (DiskImage img = ImageFormats.open(file, format, ImageOptions.readOptions(args))) {
                if (snap == null) {
                    r = measure(outFormat, opts, null, img);
                } else {
                    try (DiskImage at = snap.open(img)) {
                        r = measure(outFormat, opts, null, at);
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
