package org.qimg.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.qimg.converters.map.ImageMapper;
import org.qimg.converters.map.MapText;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** {@code qimg map}: the guest-to-host mapping through the backing chain, as qemu-img map prints it. */
final class MapCommand implements Callable<Integer> {
    private CommandSpec spec;

    static CommandSpec spec() {
        MapCommand c = new MapCommand();
        c.spec = Specs.command("map", c, "Show where guest data lives (as qemu-img map).")
                .addOption(ImageOptions.format())
                .addOption(ImageOptions.output())
                .addOption(Specs.option("N", "First guest byte to map.", "-s", "--start-offset"))
                .addOption(Specs.option("N", "Bytes to map at most.", "-l", "--max-length"))
                .addOption(ImageOptions.forceShare())
                .addOption(ImageOptions.imageOpts())
                .addPositional(Specs.positional(0, "FILE", String.class, "The image to map."));
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        ParseResult args = spec.commandLine().getParseResult();
        String format = args.matchedOptionValue("-f", null);
        String startOffset = args.matchedOptionValue("--start-offset", null);
        String maxLength = args.matchedOptionValue("--max-length", null);
        String file = ImageOptions.imageName(args, args.matchedPositionalValue(0, null));
        long start = startOffset == null ? 0 : Sizes.parse("start offset", startOffset);
        long max = maxLength == null ? -1 : Sizes.parse("max length", maxLength);
        PrintWriter out = spec.commandLine().getOut();
        try (DiskImage image = ImageFormats.open(Path.of(file), format, ImageOptions.readOptions(args))) {
            if (ImageOptions.output(args) == OutputFormat.HUMAN) {
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
