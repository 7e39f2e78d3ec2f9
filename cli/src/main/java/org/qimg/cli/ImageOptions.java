package org.qimg.cli;

import picocli.CommandLine.Option;

/** Options that several commands declare the same way, as picocli mixins. */
final class ImageOptions {
    private ImageOptions() {
    }

    /** {@code -f/--format FMT}: the image's format, probed when absent (info, map). */
    static final class Format {
        @Option(names = {"-f", "--format"}, paramLabel = "FMT", description = "Image format (default: probe).")
        String format;
    }

    /** {@code --output=human|json}, validated by {@link OutputFormat.Converter} (info, map). */
    static final class Output {
        @Option(names = "--output", paramLabel = "human|json", converter = OutputFormat.Converter.class,
                description = "Output format (default: human).")
        OutputFormat output = OutputFormat.HUMAN;
    }

    /** {@code -U/--force-share}: accepted as qemu-img accepts it; qimg opens images read-only and never locks. */
    static final class ForceShare {
        @Option(names = {"-U", "--force-share"}, description = "Accepted for compatibility (qimg never locks).")
        boolean forceShare;
    }

    /** {@code -T CACHE}: the source cache mode, accepted as qemu-img accepts it and ignored (check, compare). */
    static final class IgnoredCache {
        @Option(names = "-T", paramLabel = "CACHE", description = "Accepted for qemu-img compatibility; ignored.")
        String cache;
    }
}
