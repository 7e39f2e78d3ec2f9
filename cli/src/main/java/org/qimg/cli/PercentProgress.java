package org.qimg.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.qimg.converters.compare.ProgressCallback;

/** qemu-img's plain progress line, "    (xx.xx/100%)" rewritten in place on stderr (compare, checksum). */
final class PercentProgress implements ProgressCallback {
    private final PrintWriter err;
    private final boolean on;
    private int lastHundredths = -1;

    PercentProgress(PrintWriter err, boolean on) {
        this.err = err;
        this.on = on;
        if (on) {
            print(0);
        }
    }

    @Override
    public void progress(long done, long total) {
        if (!on || total <= 0) {
            return;
        }
        int h = (int) Math.min(10000, done * 10000 / total);
        if (h / 100 != lastHundredths / 100) {
            print(h);
        }
    }

    private void print(int hundredths) {
        lastHundredths = hundredths;
        err.printf(Locale.ROOT, "    (%.2f/100%%)\r", hundredths / 100.0);
        err.flush();
    }

    void finish() {
        if (on) {
            print(10000);
            err.println();
            err.flush();
        }
    }
}
