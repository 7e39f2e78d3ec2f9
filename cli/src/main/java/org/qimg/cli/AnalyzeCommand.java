package org.qimg.cli;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.qimg.converters.analyze.AnalysisReport;
import org.qimg.converters.analyze.AnalysisText;
import org.qimg.converters.analyze.ImageAnalyzer;
import org.qimg.converters.trace.Trace;
import org.qimg.converters.trace.TraceParser;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** {@code qimg analyze}: what compression costs an image's reads, and what to do about it. */
public final class AnalyzeCommand implements Callable<Integer> {
    private CommandSpec spec;

    static CommandSpec spec() {
        AnalyzeCommand c = new AnalyzeCommand();
        c.spec = Specs.command("analyze", c,
                        "What compression costs an image's reads: cluster census, decompression cost, advice.",
                        "In full: a census of compressed clusters, the measured decompression cost per codec, the read "
                                + "amplification, and with --trace the cost of exactly the traced guest reads, plus "
                                + "advice.")
                .addOption(Specs.option("FMT", "Image format (probed when omitted).", "-f"))
                .addOption(Specs.option("human|json", "Output format (default: human).", "--output"))
                .addOption(Specs.typed(Path.class, "FILE", "QEMU trace log (virtio_blk_handle_read or "
                        + "blk_co_preadv events) or an 'OFFSET LENGTH' list of guest reads.", "--trace").build())
                .addOption(Specs.typed(int.class, "N", "Data clusters recompressed to time each codec (default: "
                        + "256).", "--sample").build())
                .addOption(ImageOptions.forceShare())
                .addPositional(Specs.positional(0, "IMAGE", Path.class, "The image to analyze (qcow2, usually compressed)."));
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        ParseResult args = spec.commandLine().getParseResult();
        String format = args.matchedOptionValue("-f", null);
        String output = args.matchedOptionValue("--output", "human");
        Path trace = args.matchedOptionValue("--trace", null);
        int sample = args.matchedOptionValue("--sample", 256);
        Path image = args.matchedPositionalValue(0, null);
        if (!output.equals("human") && !output.equals("json")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--output must be 'human' or 'json', not '" + output + "'");
        }
        if (sample < 1 || sample > 65536) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--sample must be between 1 and 65536, not " + sample);
        }
        Trace t = trace == null ? null : new TraceParser().parse(trace);
        AnalysisReport report;
        try (DiskImage img = ImageFormats.open(image, format, ImageOptions.readOptions(args))) {
            report = new ImageAnalyzer(sample).analyze(img, t);
        }
        if (output.equals("json")) {
            DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
            spec.commandLine().getOut().println(new ObjectMapper().writer(pp).writeValueAsString(report.toMap()));
        } else {
            spec.commandLine().getOut().print(AnalysisText.render(report));
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
