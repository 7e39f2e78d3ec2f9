package org.qimg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.qimg.converters.checksum.ImageChecksum;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qimg checksum}: SHA-256 of the guest content, printed as {@code <hex>  <file>} like sha256sum. */
@Command(name = "checksum", description = "SHA-256 of an image's guest content (same for raw and qcow2 copies).")
final class ChecksumCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", description = "Image format (probed when absent).")
    String format;

    @Option(names = "-p", description = "Show progress on stderr.")
    boolean progress;

    @Mixin
    ImageOptions.ForceShare forceShare;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (DiskImage img = ImageFormats.open(file, format)) {
            PercentProgress p = new PercentProgress(spec.commandLine().getErr(), progress);
            String hex = new ImageChecksum().sha256(img, p);
            p.finish();
            out.println(hex + "  " + file);
            out.flush();
        }
        return 0;
    }
}
