package org.qimg.format.qcow2;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.qimg.format.ImageException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.codec.CompressionType;

/**
 * Options of a new qcow2 image, named as qemu-img names them ({@code -o cluster_size=…,compat=…}), with
 * qemu-img 7.2's defaults. Immutable; build with {@link #builder(long)} or parse an {@code -o} string with
 * {@link Builder#apply(String)}. {@code compression_level} is a qimg extra (not in qemu-img).
 */
public final class Qcow2CreateOptions {
    /** qemu-img's preallocation modes that qimg implements. */
    public enum Preallocation {
        OFF, METADATA;

        public String qemuName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final int DEFAULT_CLUSTER_SIZE = 65536;
    /** zlib's Z_DEFAULT_COMPRESSION, which QEMU passes and libz maps to level 6. */
    public static final int DEFAULT_ZLIB_LEVEL = 6;
    public static final int DEFAULT_ZSTD_LEVEL = 3;

    private final long virtualSize;
    private final int clusterSize;
    private final int version;
    private final int refcountBits;
    private final CompressionType compressionType;
    private final boolean lazyRefcounts;
    private final boolean extendedL2;
    private final Preallocation preallocation;
    private final String backingFile;
    private final String backingFormat;
    private final int compressionLevel;
    /** Options as the user spelt them, in order, for the "Formatting" line. */
    private final Map<String, String> given;

    private Qcow2CreateOptions(Builder b) {
        this.virtualSize = b.virtualSize;
        this.clusterSize = b.clusterSize;
        this.version = b.version;
        this.refcountBits = b.refcountBits;
        this.compressionType = b.compressionType;
        this.lazyRefcounts = b.lazyRefcounts;
        this.extendedL2 = b.extendedL2;
        this.preallocation = b.preallocation;
        this.backingFile = b.backingFile;
        this.backingFormat = b.backingFormat;
        this.compressionLevel = b.compressionLevel != null ? b.compressionLevel
                : b.compressionType == CompressionType.ZSTD ? DEFAULT_ZSTD_LEVEL : DEFAULT_ZLIB_LEVEL;
        this.given = Map.copyOf(b.given);
    }

    public static Builder builder(long virtualSize) {
        return new Builder(virtualSize);
    }

    /** Guest size in bytes, rounded up to whole 512-byte sectors as qemu-img does. */
    public long virtualSize() {
        return virtualSize;
    }

    public int clusterSize() {
        return clusterSize;
    }

    public int clusterBits() {
        return Integer.numberOfTrailingZeros(clusterSize);
    }

    /** qcow2 header version: 2 for compat=0.10, 3 for compat=1.1. */
    public int version() {
        return version;
    }

    public String compat() {
        return version == 2 ? "0.10" : "1.1";
    }

    public int refcountBits() {
        return refcountBits;
    }

    public int refcountOrder() {
        return Integer.numberOfTrailingZeros(refcountBits);
    }

    public CompressionType compressionType() {
        return compressionType;
    }

    public boolean lazyRefcounts() {
        return lazyRefcounts;
    }

    public boolean extendedL2() {
        return extendedL2;
    }

    public Preallocation preallocation() {
        return preallocation;
    }

    /** The backing file name as stored in the header, or null. */
    public String backingFile() {
        return backingFile;
    }

    public String backingFormat() {
        return backingFormat;
    }

    /** Compression level for the image's compression type (qimg extra; default as QEMU compresses). */
    public int compressionLevel() {
        return compressionLevel;
    }

    /** Bytes per L2 entry: 8, or 16 with extended L2. */
    public int l2EntrySize() {
        return extendedL2 ? 16 : 8;
    }

    /** A copy with another virtual size (e.g. the backing file's, known only after parsing). */
    public Qcow2CreateOptions withVirtualSize(long size) throws ImageException {
        Builder b = toBuilder();
        b.virtualSize(size);
        return b.build();
    }

    /** A builder holding these options, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder(virtualSize);
        b.clusterSize = clusterSize;
        b.version = version;
        b.refcountBits = refcountBits;
        b.compressionType = compressionType;
        b.lazyRefcounts = lazyRefcounts;
        b.extendedL2 = extendedL2;
        b.preallocation = preallocation;
        b.backingFile = backingFile;
        b.backingFormat = backingFormat;
        b.compressionLevel = given.containsKey("compression_level") ? compressionLevel : null;
        b.given.putAll(given);
        return b;
    }

    /**
     * The option list qemu-img prints after {@code Formatting 'FILE', fmt=qcow2 } (qemu-img 7.2's order;
     * options the user did not give are shown with their defaults where qemu-img shows them).
     */
    public String describe() {
        return toBuilder().describe();
    }

    /** The text qemu-img prints for {@code -o help} with {@code -f qcow2} (options qimg supports). */
    public static String helpText() {
        return """
                Supported qcow2 options:
                  backing_file=<str>     - File name of a base image
                  backing_fmt=<str>      - Image format of the base image
                  cluster_size=<size>    - qcow2 cluster size
                  compat=<str>           - Compatibility level (v2 [0.10] or v3 [1.1])
                  compression_level=<num> - Compression level (qimg extra; zlib 1..9, default 6; zstd 1..22, default 3)
                  compression_type=<str> - Compression method used for image cluster compression
                  extended_l2=<bool (on/off)> - Extended L2 tables
                  lazy_refcounts=<bool (on/off)> - Postpone refcount updates
                  preallocation=<str>    - Preallocation mode (allowed values: off, metadata)
                  refcount_bits=<num>    - Width of a reference count entry in bits
                  size=<size>            - Virtual disk size
                """;
    }

    /**
     * Splits a qemu option string {@code k=v,k=v} into ordered pairs. A doubled comma ({@code ,,}) stands
     * for a literal comma inside a value. A key without {@code =} gets the value {@code "on"}, as QEMU's
     * option parser does for booleans. A later key replaces an earlier one.
     */
    public static Map<String, String> splitOptions(String s) throws ImageException {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            StringBuilder key = new StringBuilder();
            while (i < n && s.charAt(i) != '=' && s.charAt(i) != ',') {
                key.append(s.charAt(i++));
            }
            String value;
            if (i < n && s.charAt(i) == '=') {
                i++;
                StringBuilder v = new StringBuilder();
                while (i < n) {
                    char c = s.charAt(i);
                    if (c == ',') {
                        if (i + 1 < n && s.charAt(i + 1) == ',') {
                            v.append(',');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    v.append(c);
                    i++;
                }
                value = v.toString();
            } else {
                value = "on";
            }
            if (i < n) {
                i++; // the separating comma
            }
            if (key.length() == 0) {
                throw new ImageException("Invalid option string '" + s + "': empty parameter name");
            }
            out.remove(key.toString());
            out.put(key.toString(), value);
        }
        return out;
    }

    /** {@link #parseSize} result: the text is not a size. */
    public static final long SIZE_INVALID = -1;
    /** {@link #parseSize} result: a well-formed size of 2^63 bytes or more (qemu-img: "Must be between..."). */
    public static final long SIZE_OUT_OF_RANGE = -2;

    private static final java.math.BigInteger TWO_64 = java.math.BigInteger.ONE.shiftLeft(64);

    /**
     * Parses a size as qemu-img 7.2 does (QEMU's {@code qemu_strtosz}): optional leading white space and
     * '+', decimal digits or {@code 0x} hex digits, for decimal an optional fraction ({@code 1.5G}, no
     * exponent; a fraction needs a suffix other than b), one optional suffix b, k, M, G, T, P, E (any case,
     * powers of 1024), nothing after it. Fractions are rounded to the nearest byte, half up.
     *
     * @return the size in bytes, {@link #SIZE_INVALID}, or {@link #SIZE_OUT_OF_RANGE} when it is 2^63 or more
     */
    public static long parseSize(String text) {
        int n = text.length();
        int i = 0;
        while (i < n && " \t\n\u000b\f\r".indexOf(text.charAt(i)) >= 0) {
            i++;
        }
        if (i < n && text.charAt(i) == '+') {
            i++;
        }
        // '-' is refused by QEMU whether strtoull accepts it or not
        int digits = i;
        boolean hex = false;
        if (i + 1 < n && text.charAt(i) == '0' && (text.charAt(i + 1) == 'x' || text.charAt(i + 1) == 'X')
                && i + 2 < n && hexDigit(text.charAt(i + 2))) {
            hex = true;
            i += 2;
            digits = i;
            while (i < n && hexDigit(text.charAt(i))) {
                i++;
            }
        } else {
            while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                i++;
            }
        }
        if (i == digits) {
            return SIZE_INVALID;
        }
        java.math.BigInteger val = new java.math.BigInteger(text.substring(digits, i), hex ? 16 : 10);
        if (val.compareTo(TWO_64) >= 0) {
            // QEMU's strtoull overflow: out of range, unless more text follows the digits
            return i == n ? SIZE_OUT_OF_RANGE : SIZE_INVALID;
        }
        java.math.BigInteger fraction = java.math.BigInteger.ZERO; // the fraction in 64.64 fixed point
        if (hex && i < n && text.charAt(i) == '.') {
            return SIZE_INVALID;
        }
        if (!hex && i < n && text.charAt(i) == '.') {
            int f = ++i;
            while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                i++;
            }
            if (i > f) {
                int e = i;
                if (e < n && (text.charAt(e) == 'e' || text.charAt(e) == 'E')) {
                    int x = e + 1;
                    if (x < n && (text.charAt(x) == '+' || text.charAt(x) == '-')) {
                        x++;
                    }
                    if (x < n && text.charAt(x) >= '0' && text.charAt(x) <= '9') {
                        return SIZE_INVALID; // an exponent makes the whole text invalid
                    }
                }
                // as QEMU: the fraction as a double, scaled to 2^64 and truncated
                double d = Double.parseDouble("0." + text.substring(f, i));
                fraction = new java.math.BigDecimal(d).multiply(new java.math.BigDecimal(TWO_64)).toBigInteger()
                        .min(TWO_64.subtract(java.math.BigInteger.ONE));
            }
            // "1." and "1.k" are accepted: no fraction digits, no fraction
        }
        int shift = 0;
        if (i < n) {
            shift = switch (text.charAt(i)) {
                case 'b', 'B' -> 0;
                case 'k', 'K' -> 10;
                case 'm', 'M' -> 20;
                case 'g', 'G' -> 30;
                case 't', 'T' -> 40;
                case 'p', 'P' -> 50;
                case 'e', 'E' -> 60;
                default -> -1;
            };
            if (shift < 0) {
                return SIZE_INVALID;
            }
            i++;
        }
        if (i != n) {
            return SIZE_INVALID;
        }
        if (shift == 0 && fraction.signum() != 0) {
            return SIZE_INVALID; // a fraction needs a scale
        }
        // 64.64 fixed point times 2^shift, rounded half up to whole bytes
        java.math.BigInteger fixed = val.shiftLeft(64).add(fraction).shiftLeft(shift);
        java.math.BigInteger bytes = fixed.add(java.math.BigInteger.ONE.shiftLeft(63)).shiftRight(64);
        if (shift == 0) {
            bytes = val;
        }
        return bytes.bitLength() > 63 ? SIZE_OUT_OF_RANGE : bytes.longValueExact();
    }

    private static boolean hexDigit(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    /** True when {@code text} is a hex number with a suffix, which qemu-img accepts with a deprecation warning. */
    public static boolean hexWithSuffix(String text) {
        String t = text.strip();
        if (t.startsWith("+")) {
            t = t.substring(1);
        }
        return (t.startsWith("0x") || t.startsWith("0X")) && !t.isEmpty()
                && "bBkKmMgGtTpPeE".indexOf(t.charAt(t.length() - 1)) >= 0 && !hexDigit(t.charAt(t.length() - 1));
    }

    private static boolean parseBool(String key, String v) throws ImageException {
        return switch (v) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new ImageException("Parameter '" + key + "' expects 'on' or 'off'");
        };
    }

    /** Collects options and checks them together in {@link #build()}, with qemu-img's error wording. */
    public static final class Builder {
        private long virtualSize;
        private int clusterSize = DEFAULT_CLUSTER_SIZE;
        private int version = 3;
        private int refcountBits = 16;
        private CompressionType compressionType = CompressionType.ZLIB;
        private boolean lazyRefcounts;
        private boolean extendedL2;
        private Preallocation preallocation = Preallocation.OFF;
        private String backingFile;
        private String backingFormat;
        private Integer compressionLevel;
        private final Map<String, String> given = new LinkedHashMap<>();
        /** Values qemu-img parses but refuses only after printing "Formatting ...": key → its error. */
        private final Map<String, ImageException> pending = new LinkedHashMap<>();
        private String unsupportedPreallocation;

        private Builder(long virtualSize) {
            this.virtualSize = virtualSize;
        }

        public Builder virtualSize(long size) {
            this.virtualSize = size;
            return this;
        }

        public Builder clusterSize(int size) {
            this.clusterSize = size;
            return this;
        }

        /** 2 (compat=0.10) or 3 (compat=1.1). */
        public Builder version(int v) {
            this.version = v;
            return this;
        }

        public Builder refcountBits(int bits) {
            this.refcountBits = bits;
            return this;
        }

        public Builder compressionType(CompressionType t) {
            this.compressionType = t;
            return this;
        }

        public Builder lazyRefcounts(boolean on) {
            this.lazyRefcounts = on;
            return this;
        }

        public Builder extendedL2(boolean on) {
            this.extendedL2 = on;
            return this;
        }

        public Builder preallocation(Preallocation p) {
            this.preallocation = p;
            return this;
        }

        public Builder backingFile(String file, String format) {
            this.backingFile = file;
            this.backingFormat = format;
            return this;
        }

        public Builder compressionLevel(Integer level) {
            this.compressionLevel = level;
            return this;
        }

        /** Applies an {@code -o} string ({@code k=v,k=v}); unknown keys are an error as in qemu-img. */
        public Builder apply(String optionString) throws ImageException {
            for (Map.Entry<String, String> e : splitOptions(optionString).entrySet()) {
                set(e.getKey(), e.getValue());
            }
            return this;
        }

        /** The backing file given so far (with {@code -o backing_file}), or null. */
        public String backingFile() {
            return backingFile;
        }

        /** The backing format given so far, or null. */
        public String backingFormat() {
            return backingFormat;
        }

        /** The refcount width given so far (0 when the value given cannot be one). */
        public int refcountBits() {
            return refcountBits;
        }

        /** The value given for {@code key} (as printed by qemu-img), or null. */
        public String given(String key) {
            return given.get(key);
        }

        /** Whether {@code key} was given with {@link #set}. */
        public boolean isSet(String key) {
            return given.containsKey(key);
        }

        /**
         * The option list qemu-img prints after {@code Formatting 'FILE', fmt=qcow2 }, from the options as
         * given: qemu-img prints it before it checks their values, so invalid ones are shown too.
         */
        public String describe() {
            List<String> parts = new ArrayList<>();
            parts.add("cluster_size=" + given.getOrDefault("cluster_size", Integer.toString(DEFAULT_CLUSTER_SIZE)));
            parts.add("extended_l2=" + given.getOrDefault("extended_l2", "off"));
            if (given.containsKey("preallocation")) {
                parts.add("preallocation=" + given.get("preallocation"));
            }
            parts.add("compression_type=" + given.getOrDefault("compression_type", "zlib"));
            parts.add("size=" + given.getOrDefault("size", Long.toString(virtualSize)));
            if (given.containsKey("compat")) {
                parts.add("compat=" + given.get("compat"));
            }
            if (backingFile != null) {
                parts.add("backing_file=" + backingFile);
            }
            if (backingFormat != null) {
                parts.add("backing_fmt=" + backingFormat);
            }
            parts.add("lazy_refcounts=" + given.getOrDefault("lazy_refcounts", "off"));
            parts.add("refcount_bits=" + given.getOrDefault("refcount_bits", "16"));
            if (given.containsKey("compression_level")) {
                parts.add("compression_level=" + given.get("compression_level"));
            }
            return String.join(" ", parts);
        }

        /**
         * A QemuOpts number: C's strtoull with base 0 (white space, a sign, 0x hex, 0 octal), as a signed
         * 64-bit value the way qemu-img prints it.
         */
        private static long numberValue(String key, String value) throws ImageException {
            String t = value.stripLeading();
            boolean negative = false;
            if (t.startsWith("+") || t.startsWith("-")) {
                negative = t.charAt(0) == '-';
                t = t.substring(1);
            }
            int radix = 10;
            if ((t.startsWith("0x") || t.startsWith("0X")) && t.length() > 2) {
                radix = 16;
                t = t.substring(2);
            } else if (t.startsWith("0") && t.length() > 1) {
                radix = 8;
                t = t.substring(1);
            }
            java.math.BigInteger v;
            try {
                v = new java.math.BigInteger(t, radix);
            } catch (NumberFormatException e) {
                throw new ImageException("Parameter '" + key + "' expects a number");
            }
            if (t.startsWith("+") || t.startsWith("-")) {
                throw new ImageException("Parameter '" + key + "' expects a number");
            }
            if (v.compareTo(TWO_64) >= 0) {
                throw new ImageException("Value '" + value + "' is too large for parameter '" + key + "'");
            }
            return negative ? v.negate().longValue() : v.longValue();
        }

        private static long sizeValue(String key, String value) throws ImageException {
            long s = parseSize(value);
            if (s == SIZE_OUT_OF_RANGE) {
                throw new ImageException("Value '" + value + "' is out of range for parameter '" + key + "'");
            }
            if (s < 0) {
                throw new ImageException("Parameter '" + key + "' expects a non-negative number below 2^64");
            }
            return s;
        }

        /** Sets one option by its qemu-img name. */
        public Builder set(String key, String value) throws ImageException {
            switch (key) {
                case "size" -> {
                    virtualSize = sizeValue(key, value);
                    value = Long.toString(virtualSize);
                }
                case "cluster_size" -> {
                    long s = sizeValue(key, value);
                    clusterSize = s > Integer.MAX_VALUE ? 0 : (int) s; // 0: refused by build() as qemu-img does
                    value = Long.toString(s);
                }
                case "compat" -> {
                    // a value qemu-img cannot map is refused after the "Formatting" line: by build()
                    pending.remove(key);
                    switch (value) {
                        case "0.10", "v2" -> version = 2;
                        case "1.1", "v3" -> version = 3;
                        default -> pending.put(key,
                                new ImageException("Parameter 'version' does not accept value '" + value + "'"));
                    }
                }
                case "refcount_bits" -> {
                    long bits = numberValue(key, value);
                    refcountBits = bits < 0 || bits > 64 ? 0 : (int) bits; // 0: refused by build()
                    value = Long.toString(bits);
                }
                case "compression_type" -> {
                    pending.remove(key);
                    switch (value) {
                        case "zlib" -> compressionType = CompressionType.ZLIB;
                        case "zstd" -> compressionType = CompressionType.ZSTD;
                        default -> pending.put(key, new ImageException(
                                "Parameter 'compression-type' does not accept value '" + value + "'"));
                    }
                }
                case "lazy_refcounts" -> lazyRefcounts = parseBool(key, value);
                case "extended_l2" -> extendedL2 = parseBool(key, value);
                case "preallocation" -> {
                    pending.remove(key);
                    unsupportedPreallocation = null;
                    switch (value) {
                        case "off" -> preallocation = Preallocation.OFF;
                        case "metadata" -> preallocation = Preallocation.METADATA;
                        case "falloc", "full" -> {
                            // qemu-img checks its other options first
                            preallocation = Preallocation.METADATA;
                            unsupportedPreallocation = value;
                        }
                        default -> pending.put(key, new ImageException(
                                "Parameter 'preallocation' does not accept value '" + value + "'"));
                    }
                }
                case "backing_file" -> backingFile = value;
                case "backing_fmt" -> backingFormat = value;
                case "compression_level" -> {
                    try {
                        compressionLevel = Integer.parseInt(value);
                    } catch (NumberFormatException ex) {
                        throw new ImageException("Parameter 'compression_level' expects a number");
                    }
                }
                case "data_file", "data_file_raw", "encryption", "encrypt.format", "encrypt.cipher-alg",
                        "encrypt.cipher-mode", "encrypt.hash-alg", "encrypt.iter-time", "encrypt.ivgen-alg",
                        "encrypt.ivgen-hash-alg", "encrypt.key-secret" -> throw new UnsupportedFeatureException(
                        "qcow2 option '" + key + "' is not supported by qimg");
                default -> throw new ImageException("Invalid parameter '" + key + "'");
            }
            given.put(key, value);
            return this;
        }

        /** Validates the combination, with qemu-img 7.2's messages, in the order qemu-img checks them. */
        public Qcow2CreateOptions build() throws ImageException {
            for (String key : List.of("compat", "preallocation", "compression_type")) {
                if (pending.containsKey(key)) {
                    throw pending.get(key);
                }
            }
            if (virtualSize < 0) {
                throw new ImageException("Image size must be a non-negative number of bytes (found " + virtualSize + ")");
            }
            if (virtualSize % 512 != 0) {
                if (virtualSize > Long.MAX_VALUE - 511) {
                    throw new ImageException("Image size too large: " + virtualSize);
                }
                virtualSize = (virtualSize + 511) / 512 * 512;
            }
            String v3 = " (use version=v3 or greater)";
            if (extendedL2 && version < 3) {
                throw new ImageException("Extended L2 entries are only supported with compatibility level 1.1 and above"
                        + v3);
            }
            if (clusterSize < 512 || clusterSize > (2 << 20) || Integer.bitCount(clusterSize) != 1) {
                throw new ImageException("Cluster size must be a power of two between 512 and 2048k");
            }
            if (extendedL2 && clusterSize < 16384) {
                throw new ImageException("Extended L2 entries are only supported with cluster sizes of at least"
                        + " 16384 bytes");
            }
            if (backingFile != null && preallocation != Preallocation.OFF && !extendedL2) {
                throw new ImageException("Backing file and preallocation can only be used at the same time if"
                        + " extended_l2 is on");
            }
            if (backingFormat != null && backingFile == null) {
                throw new ImageException("Backing format cannot be used without backing file");
            }
            if (lazyRefcounts && version < 3) {
                throw new ImageException("Lazy refcounts only supported with compatibility level 1.1 and above" + v3);
            }
            if (refcountBits < 1 || refcountBits > 64 || Integer.bitCount(refcountBits) != 1) {
                throw new ImageException("Refcount width must be a power of two and may not exceed 64 bits");
            }
            if (version < 3 && refcountBits != 16) {
                throw new ImageException("Different refcount widths than 16 bits require compatibility level 1.1 or"
                        + " above" + v3);
            }
            if (version < 3 && compressionType != CompressionType.ZLIB) {
                throw new ImageException("Non-zlib compression type is only supported with compatibility level 1.1"
                        + " and above" + v3);
            }
            if (unsupportedPreallocation != null) {
                throw new UnsupportedFeatureException("Preallocation mode '" + unsupportedPreallocation
                        + "' is not supported by qimg (use off or metadata)");
            }
            if (compressionLevel != null) {
                int max = compressionType == CompressionType.ZSTD ? 22 : 9;
                if (compressionLevel < 1 || compressionLevel > max) {
                    throw new ImageException("compression_level must be between 1 and " + max + " for "
                            + compressionType.qemuName() + " (found " + compressionLevel + ")");
                }
            }
            return new Qcow2CreateOptions(this);
        }
    }
}
