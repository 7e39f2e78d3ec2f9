package org.qimg.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.qimg.converters.map.ImageMapper;
import org.qimg.converters.map.MapText;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qimg map}: the guest-to-host mapping through the backing chain, as qemu-img map prints it. */
@Command(name = "map", description = "Show where guest data lives (as qemu-img map).")
final class MapCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions.Format imageFormat;

    @Mixin
    ImageOptions.Output outputFormat;

    @Option(names = {"-s", "--start-offset"}, paramLabel = "N", description = "First guest byte to map.")
    String startOffset;

    @Option(names = {"-l", "--max-length"}, paramLabel = "N", description = "Bytes to map at most.")
    String maxLength;

    @Mixin
    ImageOptions.ForceShare forceShare;

    @Parameters(index = "0", paramLabel = "FILE")
    String file;

    @Override
    public Integer call() throws Exception {
        long start = startOffset == null ? 0 : Sizes.parse("start offset", startOffset);
        long max = maxLength == null ? -1 : Sizes.parse("max length", maxLength);
        PrintWriter out = spec.commandLine().getOut();
        try (DiskImage image = ImageFormats.open(Path.of(file), imageFormat.format)) {
            if (outputFormat.output == OutputFormat.HUMAN) {
                out.print(MapText.humanHeader());
                try {
                    ImageMapper.map(image, start, max, (e, last) -> out.print(MapText.humanLine(e)));
                } finally {
                    out.flush();
                }
            } else {
                out.print(MapText.jsonOpen());
                ImageMapper.map(image, start, max, (e, last) -> out.print(MapText.jsonEntry(e, last)));
            }
        }
        out.flush();
        return 0;
    }
}
