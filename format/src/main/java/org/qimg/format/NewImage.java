package org.qimg.format;

/**
 * The parsed options of a new image, before they are checked as a whole: {@link ImageFormat#create} has
 * refused what cannot be parsed; {@link #build()} refuses combinations the format cannot create. Between the
 * two a converter applies its own rules (qemu-img convert's: a backing file needs a backing format, ...).
 */
public interface NewImage {
    /** The backing file, from {@code -B} or {@code -o backing_file}; null when none. */
    String backingFile();

    /** The backing file's format; null when not given. */
    String backingFormat();

    /** The value given for option {@code key} (e.g. {@code preallocation}), or null when not given. */
    String given(String key);

    /** Whether option {@code key} was given at all. */
    boolean isSet(String key);

    /**
     * The option list qemu-img create prints after {@code Formatting 'FILE', fmt=FMT } (formats whose create goes
     * through this interface).
     */
    default String describe() {
        throw new UnsupportedOperationException("no create description for this format");
    }

    /** Checks the options as a whole and decides the target. */
    TargetImage build() throws ImageException;
}
