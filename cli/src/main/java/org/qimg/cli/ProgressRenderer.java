package org.qimg.cli;

import java.io.PrintWriter;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.qimg.converters.ProgressListener;

/**
 * Shows convert progress on stderr: a progress bar (bytes of the guest size, rate, ETA; redrawn at most
 * once a second) on a terminal, else qemu-img style plain lines {@code "    (12.00/100%)"} whenever a whole
 * percent is passed or a second has gone by.
 */
final class ProgressRenderer implements ProgressListener, AutoCloseable {
    private final boolean terminal;
    private final PrintWriter err;
    private ProgressBar bar;
    private long lastLineAt;
    private double lastPercent = -1;

    ProgressRenderer(boolean terminal, PrintWriter err) {
        this.terminal = terminal;
        this.err = err;
    }

    @Override
    public void started(long total) {
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName("Converting").setInitialMax(Math.max(1, total >> 20))
                    .setUnit(" MiB", 1).showSpeed().setUpdateIntervalMillis(500)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        } else {
            line(0);
        }
    }

    @Override
    public void progress(long done, long total) {
        if (bar != null) {
            bar.stepTo(done >> 20);
            return;
        }
        double percent = total == 0 ? 100 : Math.floor(done * 10000.0 / total) / 100;
        long now = System.nanoTime();
        if (Math.floor(percent) > Math.floor(lastPercent) || now - lastLineAt >= 1_000_000_000L) {
            line(percent);
        }
    }

    @Override
    public void finished() {
        if (bar != null) {
            bar.stepTo(bar.getMax());
        } else if (lastPercent < 100) {
            line(100);
        }
    }

    private void line(double percent) {
        lastPercent = percent;
        lastLineAt = System.nanoTime();
        err.printf(java.util.Locale.ROOT, "    (%3.2f/100%%)%n", percent);
        err.flush();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
