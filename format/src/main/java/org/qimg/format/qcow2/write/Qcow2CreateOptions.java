package org.qimg.format.qcow2.write;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.qimg.format.ImageException;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.codec.CompressionType;

/**
 * Options of a new qcow2 image, named as qemu-img names them ({@code -o cluster_size=…,compat=…}), with
 * qemu-img 7.2's defaults. Immutable; build with {@link #builder(long)} or parse an {@code -o} string with
 * {@link Builder#apply(String)}. {@code compression_level} is a qimg extra (not in qemu-img).
 */
public final class Qcow2CreateOptions {
    /**
     * qemu-img's preallocation modes: metadata (L2 tables and refcounts for every cluster), falloc (that, and
     * the data area allocated with fallocate) and full (that, and the data area written with zeros).
     */
    public enum Preallocation {
        OFF, METADATA, FALLOC, FULL;

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
    private final String dataFile;
    private final boolean dataFileRaw;
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
        this.dataFile = b.dataFile;
        this.dataFileRaw = b.dataFileRaw;
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

    /**
     * The external data file's name as stored in the header (and as given: QEMU creates the file under this
     * name, relative to the working directory), or null when the data is in the image file.
     */
    public String dataFile() {
        return dataFile;
    }

    /** data_file_raw: the data file alone is a valid raw image of the guest (autoclear bit 1). */
    public boolean dataFileRaw() {
        return dataFileRaw;
    }

    /**
     * The preallocation the image's metadata gets: with {@code data_file_raw} at least {@code metadata}, as
     * QEMU enforces it (every L2 entry maps its cluster to the same offset in the data file).
     */
    public Preallocation metadataPreallocation() {
        return dataFileRaw && preallocation == Preallocation.OFF ? Preallocation.METADATA : preallocation;
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
        b.dataFile = dataFile;
        b.dataFileRaw = dataFileRaw;
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

    /**
     * The text qemu-img prints for {@code -o help} with {@code -f qcow2}: qemu-img 7.2's list, word for word
     * (the encryption options are listed as qemu-img lists them; qimg refuses them when given).
     * {@code compression_level}, a qimg extra, is accepted but not listed, so that the list stays qemu-img's.
     */
    public static String helpText() {
        return """
                Supported qcow2 options:
                  backing_file=<str>     - File name of a base image
                  backing_fmt=<str>      - Image format of the base image
                  cluster_size=<size>    - qcow2 cluster size
                  compat=<str>           - Compatibility level (v2 [0.10] or v3 [1.1])
                  compression_type=<str> - Compression method used for image cluster compression
                  data_file=<str>        - File name of an external data file
                  data_file_raw=<bool (on/off)> - The external data file must stay valid as a raw image
                  encrypt.cipher-alg=<str> - Name of encryption cipher algorithm
                  encrypt.cipher-mode=<str> - Name of encryption cipher mode
                  encrypt.format=<str>   - Encrypt the image, format choices: 'aes', 'luks'
                  encrypt.hash-alg=<str> - Name of encryption hash algorithm
                  encrypt.iter-time=<num> - Time to spend in PBKDF in milliseconds
                  encrypt.ivgen-alg=<str> - Name of IV generator algorithm
                  encrypt.ivgen-hash-alg=<str> - Name of IV generator hash algorithm
                  encrypt.key-secret=<str> - ID of secret providing qcow AES key or LUKS passphrase
                  encryption=<bool (on/off)> - Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)
                  extended_l2=<bool (on/off)> - Extended L2 tables
                  lazy_refcounts=<bool (on/off)> - Postpone refcount updates
                  preallocation=<str>    - Preallocation mode (allowed values: off, metadata, falloc, full)
                  refcount_bits=<num>    - Width of a reference count entry in bits
                  size=<size>            - Virtual disk size
                """;
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
        private String dataFile;
        private boolean dataFileRaw;
        private final Map<String, String> given = new LinkedHashMap<>();
        /** Values qemu-img parses but refuses only after printing "Formatting ...": key → its error. */
        private final Map<String, ImageException> pending = new LinkedHashMap<>();

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
            for (Map.Entry<String, String> e : QemuOptionSyntax.splitOptions(optionString).entrySet()) {
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
            if (given.containsKey("encryption")) {
                parts.add("encryption=" + given.get("encryption"));
            }
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
            // string values are printed as qemu-img's option syntax spells them: a comma doubled
            if (backingFile != null) {
                parts.add("backing_file=" + backingFile.replace(",", ",,"));
            }
            if (backingFormat != null) {
                parts.add("backing_fmt=" + backingFormat.replace(",", ",,"));
            }
            if (given.containsKey("data_file")) {
                parts.add("data_file=" + given.get("data_file").replace(",", ",,"));
            }
            if (given.containsKey("data_file_raw")) {
                parts.add("data_file_raw=" + given.get("data_file_raw"));
            }
            parts.add("lazy_refcounts=" + given.getOrDefault("lazy_refcounts", "off"));
            parts.add("refcount_bits=" + given.getOrDefault("refcount_bits", "16"));
            if (given.containsKey("compression_level")) {
                parts.add("compression_level=" + given.get("compression_level"));
            }
            return String.join(" ", parts);
        }

        /** Sets one option by its qemu-img name. */
        public Builder set(String key, String value) throws ImageException {
            switch (key) {
                case "size" -> {
                    virtualSize = QemuOptionSyntax.sizeValue(key, value);
                    value = Long.toString(virtualSize);
                }
                case "cluster_size" -> {
                    long s = QemuOptionSyntax.sizeValue(key, value);
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
                    long bits = QemuOptionSyntax.numberValue(key, value);
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
                case "lazy_refcounts" -> lazyRefcounts = QemuOptionSyntax.parseBool(key, value);
                case "extended_l2" -> extendedL2 = QemuOptionSyntax.parseBool(key, value);
                case "preallocation" -> {
                    pending.remove(key);
                    switch (value) {
                        case "off" -> preallocation = Preallocation.OFF;
                        case "metadata" -> preallocation = Preallocation.METADATA;
                        case "falloc" -> preallocation = Preallocation.FALLOC;
                        case "full" -> preallocation = Preallocation.FULL;
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
                case "data_file" -> dataFile = value; // "" is refused when the file is created, as by qemu-img
                case "data_file_raw" -> {
                    dataFileRaw = QemuOptionSyntax.parseBool(key, value);
                    value = dataFileRaw ? "on" : "off";
                }
                case "encryption" -> {
                    // encryption=off asks for what qimg writes anyway: an image that is not encrypted. QEMU maps
                    // "on" to encrypt.format=aes and drops "off"; another spelling becomes a format it refuses
                    pending.remove(key);
                    if (QemuOptionSyntax.parseBool(key, value)) {
                        throw new UnsupportedFeatureException("qcow2 option '" + key + "' is not supported by qimg");
                    }
                    if (!value.equals("off")) {
                        pending.put(key, new ImageException("Parameter 'format' does not accept value '" + value
                                + "'"));
                    }
                }
                case "encrypt.format", "encrypt.cipher-alg",
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
            for (String key : List.of("compat", "preallocation", "compression_type", "encryption")) {
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
            if (dataFileRaw && dataFile == null) {
                throw new ImageException("data-file-raw requires data-file");
            }
            if (dataFileRaw && backingFile != null) {
                throw new ImageException("Backing file and data-file-raw cannot be used at the same time");
            }
            if (dataFile != null && version < 3) {
                throw new ImageException("External data files are only supported with compatibility level 1.1 and"
                        + " above" + v3);
            }
            if (version < 3 && compressionType != CompressionType.ZLIB) {
                throw new ImageException("Non-zlib compression type is only supported with compatibility level 1.1"
                        + " and above" + v3);
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
