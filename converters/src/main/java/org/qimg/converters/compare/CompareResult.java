package org.qimg.converters.compare;

/**
 * The outcome of comparing two images' guest content.
 *
 * @param kind         identical, or what differs
 * @param offset       guest offset qemu-img reports for {@link Kind#CONTENT} and {@link Kind#STRICT_STATUS}
 *                     (the start of the first differing 512-byte sector), else -1
 * @param sizeMismatch the virtual sizes differ (qemu-img prints "Warning: Image size mismatch!")
 */
public record CompareResult(Kind kind, long offset, boolean sizeMismatch) {
    public enum Kind {
        IDENTICAL,
        /** Guest bytes differ at {@link #offset()}. */
        CONTENT,
        /** Strict mode: the sizes differ. */
        STRICT_SIZE,
        /** Strict mode: allocation status differs at {@link #offset()}. */
        STRICT_STATUS
    }

    public boolean identical() {
        return kind == Kind.IDENTICAL;
    }
}
