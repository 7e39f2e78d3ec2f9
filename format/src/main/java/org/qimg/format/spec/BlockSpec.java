package org.qimg.format.spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.qimg.format.ImageException;
import org.qimg.format.QemuOptionSyntax;

/**
 * An image named by block options rather than by a plain file name: {@code --image-opts} option strings,
 * {@code json:} file names (on the command line or stored as a backing file name) and {@code file:} names.
 * qimg takes the subset of QEMU's block graph it can read: a format driver ({@code qcow2}, {@code raw},
 * {@code vmdk}, or none to probe) over the {@code file} protocol, or the {@code file} protocol alone; raw's
 * {@code offset} and {@code size} select a window of the file. Any other driver is "Unknown driver".
 *
 * @param text     the name as the user (or the header) wrote it, for messages
 * @param driver   the format driver, or null to probe; {@code "file"} for the protocol alone
 * @param file     the file the protocol opens
 * @param offset   raw's {@code offset} (0 when not given)
 * @param size     raw's {@code size}, or -1 when not given
 * @param options  the options as parsed (types as given), for the {@code json:} name QEMU shows
 */
public record BlockSpec(String text, String driver, Path file, long offset, long size, Map<String, Object> options) {
    /** Options every driver takes that change nothing for what qimg does (locking, caching, node naming). */
    private static final Set<String> COMMON = Set.of("node-name", "read-only", "auto-read-only", "force-share",
            "discard", "detect-zeroes", "cache", "cache.direct", "cache.no-flush");
    private static final Set<String> QCOW2 = Set.of("lazy-refcounts", "pass-discard-request", "pass-discard-snapshot",
            "pass-discard-other", "overlap-check", "cache-size", "l2-cache-size", "l2-cache-entry-size",
            "refcount-cache-size", "cache-clean-interval", "discard-no-unref");
    private static final Set<String> FILE = Set.of("filename", "aio", "aio-max-batch", "locking", "pr-manager",
            "x-check-cache-dropped", "drop-cache");

    /**
     * True when {@code name} is a {@code json:} name or starts with a protocol ({@code file:}, or one qimg
     * refuses) rather than a plain file name.
     */
    public static boolean isSpecName(String name) {
        return name.startsWith(OptionStrings.JSON_PREFIX) || FileNames.hasProtocol(name);
    }

    /**
     * The spec a {@code json:} or {@code file:} name stands for; {@code format} (qemu-img's {@code -f}), when
     * given, is the driver.
     */
    public static BlockSpec ofName(String name, String format) throws ImageException {
        if (!name.startsWith(OptionStrings.JSON_PREFIX)) {
            FileNames.requireFileProtocol(name);
            Map<String, Object> file = new LinkedHashMap<>();
            file.put("driver", "file");
            file.put("filename", FileNames.afterFilePrefix(name));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", file);
            return of(name, m, format);
        }
        return of(name, OptionStrings.parseJson(name.substring(OptionStrings.JSON_PREFIX.length())), format);
    }

    /** The spec of an {@code --image-opts} option string. */
    public static BlockSpec ofOptions(String text) throws ImageException {
        return of(text, OptionStrings.parseOptions(text), null);
    }

    /** Validates parsed options as QEMU would for the drivers qimg has, with QEMU's messages. */
    static BlockSpec of(String text, Map<String, Object> options, String format) throws ImageException {
        Map<String, Object> top = new LinkedHashMap<>(options);
        String driver = format != null ? format : string(top, "driver", null);
        top.remove("driver");
        if (driver != null) {
            driver = driver.toLowerCase(java.util.Locale.ROOT);
            if (!Set.of("qcow2", "raw", "vmdk", "file").contains(driver)) {
                throw new ImageException("Unknown driver '" + driver + "'");
            }
        }
        if ("file".equals(driver)) {
            Path p = protocol(top);
            return new BlockSpec(text, driver, p, 0, -1, options);
        }
        Object child = top.remove("file");
        if (child == null) {
            throw new ImageException("A block device must be specified for \"file\"");
        }
        if (child instanceof String ref) {
            throw new ImageException("Cannot find device='" + ref + "' nor node-name='" + ref + "'");
        }
        if (!(child instanceof Map<?, ?> fileMap)) {
            throw new ImageException("Invalid parameter type for 'file', expected: string or object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fm = new LinkedHashMap<>((Map<String, Object>) fileMap);
        String fileDriver = string(fm, "driver", "file");
        fm.remove("driver");
        if (!fileDriver.equals("file")) {
            throw new ImageException("Unknown driver '" + fileDriver + "'");
        }
        Path p = protocol(fm);
        long offset = 0;
        long size = -1;
        if ("raw".equals(driver)) {
            offset = sizeOption(top.remove("offset"), "offset", 0);
            size = sizeOption(top.remove("size"), "size", -1);
        }
        if (driver == null || driver.equals("qcow2")) {
            dataFile(top.remove("data-file"));
        }
        Object backing = top.remove("backing");
        if ((driver == null || driver.equals("qcow2")) && backing instanceof Map<?, ?> b && b.size() == 1
                && b.get("file") instanceof Map<?, ?>) {
            backingFile(backing);
        } else if (backing != null && driver != null && !driver.equals("qcow2") && !driver.equals("file")) {
            throw new ImageException("Driver doesn't support backing files");
        } else if (backing instanceof Map<?, ?> b && !b.isEmpty()) {
            throw new ImageException("Block format '" + driver + "' does not support the option 'backing."
                    + b.keySet().iterator().next() + "'");
        }
        String unknown = unknown(top, driver == null || driver.equals("qcow2") ? QCOW2 : Set.of(), "");
        if (unknown != null) {
            throw new ImageException("Block format '" + (driver == null ? "qcow2" : driver)
                    + "' does not support the option '" + unknown + "'");
        }
        return new BlockSpec(text, driver, p, offset, size, options);
    }

    /**
     * qcow2's {@code data-file} child (the image's external data file given by options, e.g. {@code
     * data-file.filename=PATH}): the file protocol's options, checked as the image's own file's; null when not
     * given. qimg takes it for naming the data file only (the header's name is what {@code info} shows).
     */
    private static Path dataFile(Object child) throws ImageException {
        if (child == null) {
            return null;
        }
        if (child instanceof String ref) {
            throw new ImageException("Cannot find device='" + ref + "' nor node-name='" + ref + "'");
        }
        if (!(child instanceof Map<?, ?> m)) {
            throw new ImageException("Invalid parameter type for 'data-file', expected: string or object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fm = new LinkedHashMap<>((Map<String, Object>) m);
        String d = string(fm, "driver", "file");
        fm.remove("driver");
        if (!d.equals("file")) {
            throw new ImageException("Unknown driver '" + d + "'");
        }
        return protocol(fm);
    }

    /**
     * qcow2's {@code backing} child given as {@code backing.file.*}: the file protocol's options of a backing file
     * used in place of the header's name (the header's backing format still applies); null when not given.
     */
    private static Path backingFile(Object child) throws ImageException {
        if (!(child instanceof Map<?, ?> m) || !(m.get("file") instanceof Map<?, ?> f)) {
            return null;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fm = new LinkedHashMap<>((Map<String, Object>) f);
        String d = string(fm, "driver", "file");
        fm.remove("driver");
        if (!d.equals("file")) {
            throw new ImageException("Unknown driver '" + d + "'");
        }
        return protocol(fm);
    }

    /** The backing file the options name ({@code backing.file.filename}), or null. */
    public Path backingFile() throws ImageException {
        return backingFile(options.get("backing"));
    }

    /** The external data file the options name ({@code data-file.filename}), or null. */
    public Path dataFile() throws ImageException {
        return dataFile(options.get("data-file"));
    }

    /** The file protocol's options: its filename, and nothing it does not know. */
    private static Path protocol(Map<String, Object> m) throws ImageException {
        Object name = m.get("filename");
        if (name == null) {
            throw new ImageException("The 'file' block driver requires a file name");
        }
        if (!(name instanceof String s)) {
            throw new ImageException("Invalid parameter type for 'filename', expected: string");
        }
        String unknown = unknown(m, FILE, "");
        if (unknown != null) {
            throw new ImageException("Block protocol 'file' doesn't support the option '" + unknown + "'");
        }
        try {
            return Path.of(s);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ImageException("Could not open '" + s.replace("\0", "\\0") + "': Invalid argument");
        }
    }

    /** The first key of {@code m} that neither {@link #COMMON} nor {@code known} names (dotted when nested). */
    private static String unknown(Map<String, Object> m, Set<String> known, String prefix) {
        for (Map.Entry<String, Object> e : m.entrySet()) {
            String k = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> sub) {
                @SuppressWarnings("unchecked")
                String u = unknown((Map<String, Object>) sub, known, k + ".");
                if (u != null) {
                    return u;
                }
            } else if (!COMMON.contains(k) && !known.contains(k)) {
                return k;
            }
        }
        return null;
    }

    private static String string(Map<String, Object> m, String key, String dflt) throws ImageException {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof String s)) {
            throw new ImageException("Invalid parameter type for '" + key + "', expected: string");
        }
        return s;
    }

    /** A size option, from a string (with QEMU's suffixes) or a JSON integer. */
    private static long sizeOption(Object v, String key, long dflt) throws ImageException {
        if (v == null) {
            return dflt;
        }
        long n = -1;
        if (v instanceof Long l) {
            n = l;
        } else if (v instanceof String s) {
            n = QemuOptionSyntax.parseSize(s);
        }
        if (n < 0) {
            // (qemu-img adds its two lines on size suffixes after this one)
            throw new ImageException("Parameter '" + key + "' expects a non-negative number below 2^64");
        }
        return n;
    }

    /** True when this spec reads a window of its file or names the protocol alone (not a plain open). */
    public boolean windowed() {
        return offset != 0 || size >= 0;
    }

    /**
     * The name QEMU shows for the opened image ({@code bdrv_refresh_filename}): the file's name, unless raw reads
     * a window of it, which only the options describe: then {@code json:} and the options, the file child
     * spelled out, in QEMU's dictionary order.
     */
    public String displayName() {
        if (!windowed()) {
            return file.toString();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : options.entrySet()) {
            // only the options that say what is read; QEMU leaves out runtime ones (node-name, read-only...)
            if (e.getKey().equals("offset") || e.getKey().equals("size")) {
                m.put(e.getKey(), e.getValue());
            }
        }
        m.put("driver", "raw");
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("driver", "file");
        f.put("filename", file.toString());
        m.put("file", f);
        return OptionStrings.JSON_PREFIX + JsonText.of(QemuKeyOrder.reorder(m));
    }
}
