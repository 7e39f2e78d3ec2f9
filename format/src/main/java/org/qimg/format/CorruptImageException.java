package org.qimg.format;

/** The file's bytes contradict its format: a bad magic, an offset out of range, a broken table. */
public class CorruptImageException extends ImageException {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final long offset;

    /**
     * @param file   the file the bad bytes are in
     * @param offset byte offset in that file of the bad field, or -1 when no single offset applies
     * @param detail what was expected and what was found
     */
    public CorruptImageException(String file, long offset, String detail) {
        super(offset >= 0 ? file + ": offset " + offset + " (0x" + Long.toHexString(offset) + "): " + detail
                : file + ": " + detail);
        this.file = file;
        this.offset = offset;
    }

    public String file() {
        return file;
    }

    public long offset() {
        return offset;
    }
}
