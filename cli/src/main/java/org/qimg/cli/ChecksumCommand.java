package org.qimg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.qimg.converters.checksum.ImageChecksum;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** {@code qimg checksum}: SHA-256 of the guest content, printed as {@code <hex>  <file>} like sha256sum. */
final class ChecksumCommand implements Callable<Integer> {
    private CommandSpec spec;

    static CommandSpec spec() {
        ChecksumCommand c = new ChecksumCommand();
        c.spec = Specs.command("checksum", c,
                        "SHA-256 of an image's guest content (same for raw and qcow2 copies).")
                .addOption(Specs.option("FMT", "Image format (probed when absent).", "-f"))
                .addOption(ProgressMode.flag())
                .addOption(ProgressMode.option())
                .addOption(ImageOptions.forceShare())
                .addOption(ImageOptions.imageOpts())
                .addPositional(Specs.positional(0, "FILE", Path.class, "The image to checksum."));
        return c.spec;
    }

    @Override
    public Integer call() throws IOException {
        ParseResult args = spec.commandLine().getParseResult();
        String format = args.matchedOptionValue("-f", null);
        Path given = args.matchedPositionalValue(0, null);
        Path file = Path.of(ImageOptions.imageName(args, given.toString()));
        PrintWriter out = spec.commandLine().getOut();
        ProgressMode mode = ProgressMode.of(args, spec, false, ProgressMode.terminal(false));
        String hex;
        try (Progress p = new Progress(mode, out, System.out, "checksumming", 1.0f, Progress.FRACTION);
             DiskImage img = ImageFormats.open(file, format, ImageOptions.readOptions(args))) {
            p.begin();
            p.started(img.virtualSize());
            hex = new ImageChecksum().sha256(img, p);
            p.finished();
        }
        {
            out.println(hex + "  " + given);
            out.flush();
        }
        return 0;
    }
}
