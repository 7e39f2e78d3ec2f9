package org.qimg.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress bar on a terminal (me.tongfei:progressbar: percentage, bytes done of total in MiB, rate and
 * ETA). It is always ended with a newline, so that what follows (a message, an error, the shell's prompt)
 * starts on a line of its own: by {@link #close()} after success or failure, and by a shutdown hook when the
 * process is interrupted (Ctrl-C, SIGTERM) while the bar is shown.
 */
final class TerminalBar implements AutoCloseable {
    private final ProgressBar bar;
    private final PrintStream out;
    private final Thread hook;
    private boolean closed;

    private TerminalBar(String task, long totalBytes, PrintStream out) {
        this.out = out;
        this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(1, totalBytes))
                .setUnit(" MiB", 1 << 20).showSpeed().setUpdateIntervalMillis(200).setStyle(style())
                .setConsumer(new ConsoleProgressBarConsumer(out)).build();
        this.hook = new Thread(this::interrupted, "qimg-progress-end");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Block characters where the terminal's charset has them (UTF-8), else plain ASCII ("[===>  ]"). */
    private static ProgressBarStyle style() {
        String enc = System.getProperty("sun.stdout.encoding", System.getProperty("native.encoding", ""));
        return enc.equalsIgnoreCase("UTF-8") || enc.equalsIgnoreCase("UTF8") ? ProgressBarStyle.COLORFUL_UNICODE_BLOCK
                : ProgressBarStyle.ASCII;
    }

    /** Shows a bar named {@code task} over {@code totalBytes} on {@code out}. */
    static TerminalBar open(String task, long totalBytes, PrintStream out) {
        return new TerminalBar(task, totalBytes, out);
    }

    synchronized void stepTo(long bytes) {
        if (!closed) {
            bar.stepTo(Math.min(bytes, bar.getMax()));
        }
    }

    synchronized void complete() {
        stepTo(bar.getMax());
    }

    /** Draws the bar a last time and ends its line. */
    @Override
    public void close() {
        if (end()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs or has run: nothing to remove
            }
        }
    }

    private synchronized boolean end() {
        if (closed) {
            return false;
        }
        closed = true;
        bar.close(); // stops the refresh thread, renders once more, prints the newline
        out.flush();
        return true;
    }

    private void interrupted() {
        end();
    }
}
