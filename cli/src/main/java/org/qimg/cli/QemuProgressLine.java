package org.qimg.cli;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * qemu-img's plain progress output ({@code util/qemu-progress.c}, 7.2), reproduced to the byte: a line
 * {@code "    (42.06/100%)\r"} whenever the single-precision percentage moved by more than {@code minSkip}
 * since the last line, or reached 0 or 100, and one {@code "\n"} at the end (after success or failure).
 * The arithmetic is qemu's, in {@code float}, and the number is printed as glibc's {@code %3.2f} prints it
 * (the exact binary value rounded half to even).
 */
final class QemuProgressLine {
    private final PrintWriter out;
    private final float minSkip;
    private float current;
    private float lastPrint;
    private boolean ended;

    QemuProgressLine(PrintWriter out, float minSkip) {
        this.out = out;
        this.minSkip = minSkip;
    }

    /**
     * {@code qemu_progress_print(delta, max)}: with {@code max == 0}, {@code delta} is the new percentage;
     * otherwise a step of {@code delta} percent of a part worth {@code max} percent of the whole.
     */
    void print(float delta, int max) {
        float c = max == 0 ? delta : current + delta / 100 * max;
        if (c > 100) {
            c = 100;
        }
        current = c;
        if (c > lastPrint + minSkip || c < lastPrint - minSkip || c == 100 || c == 0) {
            lastPrint = current;
            out.print("    (" + format(current) + "/100%)\r");
            out.flush();
        }
    }

    /** {@code qemu_progress_end}: the newline that ends the line; only the first call prints. */
    void end() {
        if (!ended) {
            ended = true;
            out.print("\n");
            out.flush();
        }
    }

    /** glibc's {@code printf("%3.2f", (double) f)}. */
    static String format(float f) {
        return new BigDecimal((double) f).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }
}
