package org.qimg.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.compare.CompareResult;
import org.qimg.converters.convert.ConcatImage;
import org.qimg.converters.convert.ConvertOptions;
import org.qimg.converters.convert.ConvertTarget;
import org.qimg.converters.convert.Converter;
import org.qimg.converters.convert.QemuProgressSteps;
import org.qimg.converters.convert.OutputContainer;
import org.qimg.converters.convert.SnapshotSpec;
import org.qimg.converters.convert.TargetVerifier;
import org.qimg.converters.ova.OvaConvert;
import org.qimg.converters.policy.PlainPolicies;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.io.LockPerms;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine;

/** {@code qimg convert}: qemu-img convert's options; the work is {@link Converter}'s. */
final class ConvertCommand implements Callable<Integer> {
    private CommandSpec spec;
    private int threadCount;
    private long sparseBytes;

    static CommandSpec spec() {
        ConvertCommand c = new ConvertCommand();
        c.spec = Specs.command("convert", c, "Convert (and optionally compress) images (as qemu-img convert).")
                .addOption(Specs.option("FMT", "Source format (default: probe).", "-f", "--format"))
                .addOption(ImageOptions.imageOpts())
                .addOption(Specs.option("raw|qcow2", "Target format (default: raw).", "-O"))
                .addOption(Specs.flag("Compress the target's clusters (qcow2).", "-c"))
                .addOption(ProgressMode.flag())
                .addOption(ProgressMode.option())
                .addOption(Specs.flag("Quiet: no progress.", "-q"))
                .addOption(Specs.option("SIZE", "Zero runs at least this long become holes (multiple of 512, "
                        + "default 4k; 0 writes everything).", "-S"))
                .addOption(Specs.option("N", "Worker threads, 1 to 16 as qemu-img's -m (default: number of "
                        + "cores).", "-m"))
                .addOption(Specs.flag("Accepted for qemu-img compatibility: qimg's workers already write out of "
                        + "order.", "-W"))
                .addOption(Specs.option("SNAPSHOT", "Convert this internal snapshot: ID_OR_NAME, or "
                        + "snapshot.id=ID[,snapshot.name=NAME].", "-l"))
                .addOption(Specs.repeated(String.class, "OPTIONS", "Target format options, k=v[,k=v...] (repeatable); "
                        + "'-o help' lists them for the -O format.", "-o"))
                .addOption(Specs.option("BACKING", "Backing file of the target (qcow2).", "-B"))
                .addOption(Specs.option("FMT", "Format of the -B backing file.", "-F"))
                .addOption(Specs.flag("Do not create the target; write into the existing one.", "-n"))
                .addOption(Specs.flag("Copy offloading: copy data as the source reports it, without looking for "
                        + "zeros in it (not with -c, -S or --salvage).", "-C"))
                .addOption(Specs.flag("Read errors of the sources become zeros, with a warning per failed "
                        + "512-byte sector, as qemu-img --salvage.", "--salvage"))
                .addOption(Specs.flag("With -n: the target reads as zeros already.", "--target-is-zero"))
                .addOption(ImageOptions.forceShare())
                .addOption(Specs.option("CACHE", "Cache mode of the target, as qemu-img: none, writeback, "
                        + "writethrough, directsync (the output is fsynced before it is renamed into place; the "
                        + "default) or unsafe (no fsync: qemu-img convert's default; faster, not crash-safe).", "-t"))
                .addOption(Specs.option("SRC_CACHE", "Cache mode of the sources; accepted for compatibility (qimg "
                        + "only reads them).", "-T"))
                .addOption(Specs.flag("Before the new target replaces DST, compare its guest content with the "
                        + "sources' (concatenated; as qemu-img compare); on a mismatch leave DST as it was and exit 1 "
                        + "(with -n: compare after writing in place).",
                        "--verify"))
                .addOption(Specs.repeated(Path.class, "FILE", "With -c: store uncompressed every cluster a read "
                        + "in this trace touches (repeatable; see qimg analyze).", "--keep-plain-trace"))
                .addOption(Specs.repeated(String.class, "RANGES", "With -c: store uncompressed the clusters of "
                        + "these guest byte ranges, START-END[,START-END...] with END exclusive, e.g. 0-1G "
                        + "(repeatable).", "--keep-plain"))
                .addOption(Specs.typed(Double.class, "PCT", "With -c: keep a cluster compressed only when that "
                        + "saves at least PCT percent of it.", "--min-savings").build())
                .addOption(Specs.flag("Copy the source's persistent dirty bitmaps into the (qcow2) target.",
                        "--bitmaps"))
                .addOption(Specs.flag("With --bitmaps: skip (with a warning) bitmaps in use, which cannot be"
                        + " copied.", "--skip-broken-bitmaps"))
                .addPositional(PositionalParamSpec.builder().arity("1..*").paramLabel("SRC... DST")
                        .hideParamSyntax(true).type(List.class).auxiliaryTypes(String.class)
                        .description("The source images (one or more; several are concatenated, in this order) "
                                + "and, last, the target file DST.").build());
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        ParseResult args = spec.commandLine().getParseResult();
        String targetFormat = args.matchedOptionValue("-O", "raw");
        boolean quiet = args.matchedOptionValue("-q", false);
        List<String> createOptions = args.matchedOptionValue("-o", List.of());
        List<String> files = args.matchedPositionalValue(0, List.of());
        if (args.matchedOptionValue("--skip-broken-bitmaps", false) && !args.matchedOptionValue("--bitmaps", false)) {
            throw new ExitCodeException(1, "Use of --skip-broken-bitmaps requires --bitmaps");
        }
        checkCopyOffload(args);
        FormatOptions.checkSyntax(createOptions);
        if (FormatOptions.helpRequested(createOptions)) {
            FormatOptions.printHelp(targetFormat, files.size() >= 2, spec.commandLine().getOut());
            return 0;
        }
        if (files.size() < 2) {
            throw new ExitCodeException(1, "Must specify image file name");
        }
        String dst = files.get(files.size() - 1);
        List<String> srcs = files.subList(0, files.size() - 1);
        // checked while qemu-img reads its options, before it prints the first progress line
        String threads = args.matchedOptionValue("-m", null);
        threadCount = threads == null ? 0 : threads(threads);
        String sparse = args.matchedOptionValue("-S", null);
        sparseBytes = sparse == null ? ConvertOptions.DEFAULT_SPARSE_SIZE
                : Sizes.parse("buffer size for sparse output", sparse, spec.commandLine().getErr());
        boolean toStdout = dst.equals("-");
        ProgressMode mode = ProgressMode.of(args, spec, quiet, ProgressMode.terminal(toStdout));
        try (Progress progressOut = new Progress(mode, ProgressMode.writer(spec, toStdout),
                toStdout ? System.err : System.out, "converting", 1.0f, Progress.FRACTION)) {
            progressOut.begin();
            return convert(args, progressOut, srcs, dst);
        }
    }

    /**
     * The file the target name names: {@code file:NAME} is NAME; a name with any other protocol fails as
     * qemu-img's does (only opening an existing target names it); an existing target may be {@code json:} block
     * options naming a file.
     */
    static String localTarget(String dst, boolean existing) throws ImageException {
        if (dst.equals("-")) {
            return dst;
        }
        if (existing && dst.startsWith("json:")) {
            // an existing target given as block options: its file (QEMU's words for a driver qimg lacks)
            org.qimg.format.spec.SpecOpener.Located at = org.qimg.format.spec.SpecOpener.locate(dst, null, true);
            if (at.window()) {
                throw new ImageException("Could not open '" + dst + "': qimg does not write through offset/size windows");
            }
            return at.file().toString();
        }
        try {
            return org.qimg.format.spec.FileNames.localFile(dst);
        } catch (ImageException e) {
            throw existing ? new ImageException("Could not open '" + dst + "': " + e.getMessage(), e) : e;
        }
    }

    private int convert(ParseResult args, Progress progressOut, List<String> srcs, String dst) throws Exception {
        String sourceFormat = args.matchedOptionValue("-f", null);
        String targetFormat = args.matchedOptionValue("-O", "raw");
        boolean compress = args.matchedOptionValue("-c", false);
        String sparse = args.matchedOptionValue("-S", null);
        String threads = args.matchedOptionValue("-m", null);
        String snapshot = args.matchedOptionValue("-l", null);
        List<String> createOptions = args.matchedOptionValue("-o", List.of());
        String backing = args.matchedOptionValue("-B", null);
        String backingFormat = args.matchedOptionValue("-F", null);
        boolean noCreate = args.matchedOptionValue("-n", false);
        dst = localTarget(dst, noCreate);
        boolean targetIsZero = args.matchedOptionValue("--target-is-zero", false);
        String cache = args.matchedOptionValue("-t", null);
        String sourceCache = args.matchedOptionValue("-T", null);
        boolean verify = args.matchedOptionValue("--verify", false);
        List<Path> keepPlainTraces = args.matchedOptionValue("--keep-plain-trace", List.of());
        List<String> keepPlainRanges = args.matchedOptionValue("--keep-plain", List.of());
        Double minSavings = args.matchedOptionValue("--min-savings", null);
        ConvertOptions.Builder b = ConvertOptions.builder();
        if (threads != null) {
            b.threads(threadCount);
        }
        if (sparse != null) {
            b.sparseSize(sparseBytes);
        }
        String target = targetFormat.toLowerCase(java.util.Locale.ROOT);
        PlainPolicies policies;
        try {
            policies = new PlainPolicies(keepPlainTraces, keepPlainRanges, minSavings);
        } catch (IllegalArgumentException e) {
            throw new ImageException(e.getMessage());
        }
        if (!policies.isEmpty() && !compress) {
            throw new ImageException("--keep-plain-trace, --keep-plain and --min-savings choose which clusters of a"
                    + " compressed target stay uncompressed: they need -c");
        }
        OutputContainer.Split wrapped = OutputContainer.split(createOptions);
        b.container(wrapped.container());
        OvaConvert ova = OvaConvert.FORMAT.equals(target)
                ? OvaConvert.prepare(wrapped.options(), backing, compress, noCreate, Path.of(dst), srcs.size()) : null;
        TargetImage chosen = ova != null ? ova.diskTarget() : ConvertTarget.choose(targetFormat, new TargetRequest(
                wrapped.options(), backing, backingFormat, compress), noCreate, Path.of(dst), srcs.size());
        boolean quiet = args.matchedOptionValue("-q", false);
        // qemu-img -q silences --salvage's warnings too
        b.target(chosen).notices(m -> {
            if (!(quiet && m.startsWith("warning: "))) {
                System.err.println("qimg: " + m);
            }
        });
        b.copyOffload(args.matchedOptionValue("-C", false)).salvage(args.matchedOptionValue("--salvage", false));
        int clusterSize = chosen.clusterSize();
        SnapshotSpec snap = snapshot == null ? null : SnapshotSpec.parse(snapshot);
        if (snap != null && !snap.firstSourceOnly() && srcs.size() > 1) {
            throw new ImageException("No support for concatenating multiple snapshot");
        }
        if (verify && !noCreate && ova == null) {
            b.verify(target); // checked before the new file replaces DST
        }
        b.noCreate(noCreate).targetIsZero(targetIsZero).durable(!"unsafe".equals(cacheMode(cache)));
        cacheMode(sourceCache);
        List<DiskImage> opened = new ArrayList<>();
        org.qimg.converters.bitmap.BitmapCopy bitmapCopy = null;
        try {
            if (progressOut.enabled()) {
                b.progress(progressOut);
            }
            List<DiskImage> sources = new ArrayList<>();
            for (String s : srcs) {
                DiskImage img = ImageFormats.open(Path.of(ImageOptions.imageName(args, s)), sourceFormat,
                        ImageOptions.readOptions(args).withLock(LockPerms.READ_UNSHARED));
                opened.add(img);
                if (snap != null && (sources.isEmpty() || !snap.firstSourceOnly())) {
                    img = snap.open(img);
                    opened.add(img);
                }
                sources.add(img);
            }
            if (!policies.isEmpty()) {
                long total = 0;
                for (DiskImage s : sources) {
                    total = Math.addExact(total, s.virtualSize());
                }
                b.policy(policies.build(clusterSize, total));
            }
            if (args.matchedOptionValue("--bitmaps", false)) {
                bitmapCopy = bitmaps(b, sources, opened.get(0), target, args.matchedOptionValue("--skip-broken-bitmaps",
                        false));
            }
            if (!noCreate && ova == null) {
                ConvertTarget.checkBacking(targetFormat, new TargetRequest(wrapped.options(), backing, backingFormat,
                        compress), Path.of(dst));
            }
            ConvertOptions options = build(b);
            if (progressOut.mode() == ProgressMode.PLAIN) {
                progressOut.counting(new ConvertCounting(new QemuProgressSteps(sources, chosen.compressed(),
                        clusterSize, sparseBytes > 0, chosen.hasBacking())));
            }
            if (ova != null) {
                ova.convert(sources, Path.of(dst), options, verify);
            } else {
                Converter.convert(sources, Path.of(dst), options);
            }
            if (verify && noCreate) {
                verifyInPlace(sources, Path.of(dst), target);
            }
        } catch (ImageException e) {
            throw withHint(e);
        } finally {
            if (bitmapCopy != null) {
                bitmapCopy.close();
            }
            ConcatImage.closeAll(opened);
        }
        return 0;
    }

    /** qemu-img's rules for {@code -C}, checked right after its options are read, in its order. */
    private static void checkCopyOffload(ParseResult args) {
        boolean copy = args.matchedOptionValue("-C", false);
        if (!copy) {
            return;
        }
        if (args.matchedOptionValue("-c", false)) {
            throw new ExitCodeException(1, "Cannot enable copy offloading when -c is used");
        }
        if (args.hasMatchedOption("-S")) {
            throw new ExitCodeException(1, "Cannot enable copy offloading when -S is used");
        }
        if (args.matchedOptionValue("--salvage", false)) {
            throw new ExitCodeException(1, "Cannot use copy offloading in salvaging mode");
        }
    }

    /**
     * {@code --bitmaps}: qemu-img's checks (one source, its bitmaps consistent or skipped, a target format
     * that keeps bitmaps), then the copy once the target is written.
     */
    private static org.qimg.converters.bitmap.BitmapCopy bitmaps(ConvertOptions.Builder b, List<DiskImage> sources,
            DiskImage first, String target, boolean skipBroken) throws IOException {
        if (sources.size() > 1) {
            throw new ImageException("Copying bitmaps only possible with single source");
        }
        org.qimg.converters.bitmap.BitmapCopy copy = org.qimg.converters.bitmap.BitmapCopy.prepare(first, skipBroken);
        if (!target.equals("qcow2")) {
            copy.close();
            throw new ImageException("Format driver '" + target + "' does not support bitmaps");
        }
        b.written(p -> copy.copyInto(p, target, m -> {
            System.err.println("qimg: warning: " + m);
            System.err.flush();
        }));
        return copy;
    }

    /** An error whose message has qemu-img's hint on its next line: the hint printed without a prefix. */
    private static Exception withHint(ImageException e) {
        String m = e.getMessage();
        int nl = m == null ? -1 : m.indexOf('\n');
        return nl < 0 ? e : new ExitCodeException(1, m.substring(0, nl), m.substring(nl + 1) + "\n");
    }

    /**
     * {@code -n --verify}: the target, written in place, must read exactly as the concatenated sources
     * (ImageComparator, qemu-img compare rules). Without {@code -n} the converter verifies the new file before
     * it replaces DST.
     */
    private static void verifyInPlace(List<DiskImage> sources, Path dst, String targetFormat) throws IOException {
        CompareResult r = TargetVerifier.verify(sources, dst, targetFormat);
        if (!r.identical()) {
            throw new ExitCodeException(1, "verify failed: " + dst + ": Content mismatch at offset " + r.offset()
                    + "!");
        }
    }

    /** {@code -m} as qemu-img reads it (strtol base 0, whole text) and bounds it (1 to 16). */
    private static int threads(String text) {
        long n;
        try {
            String t = text.strip();
            boolean neg = t.startsWith("-");
            if (t.startsWith("+") || neg) {
                t = t.substring(1);
            }
            int radix = t.startsWith("0x") || t.startsWith("0X") ? 16 : t.length() > 1 && t.startsWith("0") ? 8 : 10;
            String digits = radix == 16 ? t.substring(2) : t;
            if (digits.isEmpty() || digits.startsWith("+") || digits.startsWith("-")) {
                throw new NumberFormatException(text);
            }
            n = Long.parseLong(digits, radix) * (neg ? -1 : 1);
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1 || n > 16) {
            throw new ExitCodeException(1, "Invalid number of coroutines. Allowed number of coroutines is between 1"
                    + " and 16");
        }
        return (int) n;
    }

    /** Checks a {@code -t}/{@code -T} value the way qemu-img does; null stays null. */
    private static String cacheMode(String mode) throws ImageException {
        if (mode == null) {
            return null;
        }
        return switch (mode) {
            case "none", "off", "writeback", "writethrough", "directsync", "unsafe" -> mode;
            default -> throw new ImageException("Invalid cache option: " + mode);
        };
    }

    private static ConvertOptions build(ConvertOptions.Builder b) throws ImageException {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ImageException(e.getMessage());
        }
    }

    static CommandLine.ParameterException usage(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
