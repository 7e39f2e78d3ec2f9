package org.qimg.format;

import java.util.List;
import java.util.Objects;

/**
 * What a caller asks of a target image before the format has looked at it: qemu-img's {@code -o} option
 * strings (each may hold several {@code key=value} pairs separated by commas), the {@code -B} backing file and
 * its {@code -F} format (null when not given), and whether clusters are to be compressed ({@code -c}).
 */
public record TargetRequest(List<String> options, String backingFile, String backingFormat, boolean compressed) {
    public TargetRequest {
        options = List.copyOf(Objects.requireNonNull(options));
    }

    /** No options, no backing file. */
    public static TargetRequest of(boolean compressed) {
        return new TargetRequest(List.of(), null, null, compressed);
    }

    /** The option strings joined as one {@code -o} text. */
    public String optionText() {
        return String.join(",", options);
    }
}
