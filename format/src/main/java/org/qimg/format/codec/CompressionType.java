package org.qimg.format.codec;

/** qcow2's compression types (header byte 104). */
public enum CompressionType {
    ZLIB(0, "zlib"),
    ZSTD(1, "zstd");

    private final int code;
    private final String qemuName;

    CompressionType(int code, String qemuName) {
        this.code = code;
        this.qemuName = qemuName;
    }

    /** The value stored in the header's compression_type byte. */
    public int code() {
        return code;
    }

    /** The name qemu-img uses in {@code -o compression_type=} and in {@code info}. */
    public String qemuName() {
        return qemuName;
    }

    /** The type for a header byte, or null when the byte names none qimg knows. */
    public static CompressionType fromCode(int code) {
        for (CompressionType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
