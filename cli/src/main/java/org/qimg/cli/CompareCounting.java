package org.qimg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.qimg.converters.compare.QemuCompareSteps;

/**
 * qemu-img compare's progress: after each chunk of its walk ({@link QemuCompareSteps}) it adds the chunk's share
 * of the larger image's size, in single precision, and prints a line when the total moved by more than 2
 * percent. A chunk counts once the comparison has confirmed it; on a mismatch only the chunks before the one
 * holding it count, as in qemu-img, which stops there.
 */
final class CompareCounting implements Progress.Counting {
    private final QemuCompareSteps steps;
    private final PrintWriter out;
    private final long common;
    private long pendingEnd;
    private long start;
    private boolean warned;

    /** @param out where qemu-img's size warning goes, between the common part's lines and the rest's */
    CompareCounting(QemuCompareSteps steps, PrintWriter out) {
        this.steps = steps;
        this.out = out;
        this.common = steps.common();
    }

    /** Whether the "Warning: Image size mismatch!" line has been printed here. */
    boolean warned() {
        return warned;
    }

    private void warnOnce() {
        if (!warned && common < steps.base()) {
            warned = true;
            out.print("Warning: Image size mismatch!\n");
            out.flush();
        }
    }

    @Override
    public void progress(QemuProgressLine line, long done, long total) throws IOException {
        while (true) {
            if (pendingEnd <= start) {
                pendingEnd = steps.next();
                if (pendingEnd < 0) {
                    pendingEnd = start;
                    return;
                }
            }
            if (pendingEnd > done) {
                return;
            }
            if (start >= common) {
                warnOnce(); // the common part matched: qemu-img warns before it looks at the rest
            }
            long chunk = pendingEnd - start;
            line.print(((float) chunk / (float) steps.base()) * 100, 100);
            start = pendingEnd;
        }
    }

    @Override
    public void finished(QemuProgressLine line) throws IOException {
        progress(line, Long.MAX_VALUE, 0); // qemu-img prints nothing more: the chunks add up to 100
    }
}
