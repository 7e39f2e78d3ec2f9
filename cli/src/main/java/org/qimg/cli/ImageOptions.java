package org.qimg.cli;

import org.qimg.format.OpenOptions;
import org.qimg.format.spec.SpecOpener;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/** Options that several commands declare the same way. */
final class ImageOptions {
    private ImageOptions() {
    }

    /** {@code -f/--format FMT}: the image's format, probed when absent (info, map). */
    static OptionSpec format() {
        return Specs.option("FMT", "Image format (default: probe).", "-f", "--format");
    }

    /** {@code --output=human|json}, validated by {@link OutputFormat.Converter} (info, map). */
    static OptionSpec output() {
        return Specs.typed(OutputFormat.class, "human|json", "Output format (default: human).", "--output")
                .converters(new OutputFormat.Converter()).build();
    }

    /** The {@link #output()} given, or HUMAN. */
    static OutputFormat output(ParseResult args) {
        return args.matchedOptionValue("--output", OutputFormat.HUMAN);
    }

    /**
     * {@code -U/--force-share}: open even when another process (a running QEMU) writes the image, sharing every
     * permission as qemu-img does; without it, read opens take QEMU's shared read locks and refuse a writer.
     */
    static OptionSpec forceShare() {
        return Specs.flag("Force shared permissions: read an image another process (QEMU) is writing.", "-U",
                "--force-share");
    }

    /** Options for a read-only open: QEMU's read locks, sharing everything with {@code -U}. */
    static OpenOptions readOptions(ParseResult args) {
        return OpenOptions.DEFAULT.forceShare(args.matchedOptionValue("-U", false));
    }

    /** {@code -T CACHE}: the source cache mode, accepted as qemu-img accepts it and ignored (check, compare). */
    static OptionSpec ignoredCache() {
        return Specs.option("CACHE", "Accepted for qemu-img compatibility; ignored.", "-T");
    }

    /**
     * {@code --image-opts}: every image file name of the command is an option string
     * ({@code driver=qcow2,file.filename=F}) rather than a file name.
     */
    static OptionSpec imageOpts() {
        return Specs.flag("Image file names are option strings (driver=qcow2,file.filename=FILE).", "--image-opts");
    }

    /** True when {@code --image-opts} was given. */
    static boolean imageOpts(ParseResult args) {
        return args.matchedOptionValue("--image-opts", false);
    }

    /**
     * The name to open for the image argument {@code given}: itself, or with {@code --image-opts} the option
     * string marked as such (opened by {@link SpecOpener}); {@code -f} and {@code --image-opts} exclude each other.
     */
    static String imageName(ParseResult args, String given) throws ExitCodeException {
        return imageName(imageOpts(args), args.hasMatchedOption("-f"), given);
    }

    /** As {@link #imageName(ParseResult, String)}, for commands that read their own options. */
    static String imageName(boolean imageOpts, boolean format, String given) throws ExitCodeException {
        if (!imageOpts) {
            return given;
        }
        if (format) {
            throw new ExitCodeException(1, "--image-opts and --format are mutually exclusive");
        }
        return SpecOpener.IMAGE_OPTS_PREFIX + given;
    }
}
