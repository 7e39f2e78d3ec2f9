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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code qimg analyze}: what compression costs an image's reads, and what to do about it. */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Census of compressed clusters, measured decompression cost per codec, read amplification,",
                "and with --trace the cost of exactly the traced guest reads, plus advice."})
public final class AnalyzeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", description = "Image format (probed when omitted).")
    String format;

    @Option(names = "--output", paramLabel = "human|json", defaultValue = "human",
            description = "Output format (default: human).")
    String output;

    @Option(names = "--trace", paramLabel = "FILE", description = {"QEMU trace log (virtio_blk_handle_read or",
            "blk_co_preadv events) or an 'OFFSET LENGTH' list of guest reads."})
    Path trace;

    @Option(names = "--sample", paramLabel = "N", defaultValue = "256",
            description = "Data clusters recompressed to time each codec (default: 256).")
    int sample;

    @Parameters(index = "0", paramLabel = "IMAGE")
    Path image;

    @Override
    public Integer call() throws Exception {
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
        try (DiskImage img = ImageFormats.open(image, format)) {
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
