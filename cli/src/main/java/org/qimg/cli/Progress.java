package org.qimg.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.qimg.converters.ProgressListener;
import org.qimg.converters.compare.ProgressCallback;

/**
 * A command's progress in the {@link ProgressMode} asked for. {@code PLAIN} is qemu-img's output exactly:
 * the 0% line ({@link #begin()}), lines as its {@link Counting} says, the 100% line on success and the
 * newline at the end ({@link #close()}), also after a failure. {@code BAR} draws a {@link TerminalBar},
 * {@code JSON} prints one object per line ({@code phase}, {@code done}, {@code total}, {@code percent}) at
 * start, at most once per whole percent or second in between, and at the end.
 */
final class Progress implements ProgressListener, ProgressCallback, AutoCloseable {
    /** How qemu-img counts a command's plain progress (it differs per command). */
    interface Counting {
        /** {@code done} of {@code total} bytes are finished: print what qemu-img prints by then. */
        void progress(QemuProgressLine line, long done, long total) throws IOException;

        /** The work succeeded. */
        default void finished(QemuProgressLine line) throws IOException {
            line.print(100, 0);
        }
    }

    /** Counting as a fraction of the bytes done (qemu's absolute mode). */
    static final Counting FRACTION = (line, done, total) -> {
        if (total > 0) {
            line.print((float) (100.0 * done / total), 0);
        }
    };

    private final ProgressMode mode;
    private final PrintWriter out;
    private final PrintStream terminal;
    private final String phase;
    private Counting counting;
    private final QemuProgressLine line;
    private TerminalBar bar;
    private long total = -1;
    private long lastJsonAt;
    private long lastJsonPercent = -1;

    /**
     * @param terminal where a bar is drawn ({@code BAR} only: the process's stdout or stderr)
     * @param minSkip  qemu-img's {@code min_skip} for this command's plain lines
     */
    Progress(ProgressMode mode, PrintWriter out, PrintStream terminal, String phase, float minSkip,
            Counting counting) {
        this.mode = mode;
        this.out = out;
        this.terminal = terminal;
        this.phase = phase;
        this.counting = counting;
        this.line = mode == ProgressMode.PLAIN ? new QemuProgressLine(out, minSkip) : null;
    }

    /** qemu-img's first line, 0%, printed where qemu-img prints it (convert: at once; compare: once open). */
    Progress begin() {
        if (line != null) {
            line.print(0, 100);
        }
        return this;
    }

    boolean enabled() {
        return mode != ProgressMode.NONE;
    }

    ProgressMode mode() {
        return mode;
    }

    /** Sets how plain lines count, once what the command works on is known. */
    Progress counting(Counting c) {
        this.counting = c;
        return this;
    }

    @Override
    public void started(long totalBytes) {
        total = totalBytes;
        if (mode == ProgressMode.BAR && bar == null) {
            bar = TerminalBar.open(barName(), totalBytes, terminal);
        } else if (mode == ProgressMode.JSON) {
            json(0, totalBytes, true);
        }
    }

    @Override
    public void progress(long done, long totalBytes) {
        if (total < 0) {
            started(totalBytes);
        }
        switch (mode) {
            case PLAIN -> {
                try {
                    counting.progress(line, done, totalBytes);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            case BAR -> bar.stepTo(done);
            case JSON -> json(done, totalBytes, false);
            default -> { }
        }
    }

    @Override
    public void finished() {
        switch (mode) {
            case PLAIN -> {
                try {
                    counting.finished(line);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            case BAR -> {
                if (bar != null) {
                    bar.complete();
                }
            }
            case JSON -> json(Math.max(total, 0), Math.max(total, 0), true);
            default -> { }
        }
    }

    /** Ends the output: qemu-img's final newline, the bar's last line. */
    @Override
    public void close() {
        if (line != null) {
            line.end();
        }
        if (bar != null) {
            bar.close();
        }
    }

    private String barName() {
        return phase.substring(0, 1).toUpperCase(Locale.ROOT) + phase.substring(1);
    }

    private void json(long done, long totalBytes, boolean force) {
        long percentX100 = totalBytes <= 0 ? 10000 : (long) (done * 10000.0 / totalBytes);
        long now = System.nanoTime();
        if (!force && percentX100 / 100 == lastJsonPercent / 100 && now - lastJsonAt < 1_000_000_000L) {
            return;
        }
        lastJsonAt = now;
        lastJsonPercent = percentX100;
        out.printf(Locale.ROOT, "{\"phase\": \"%s\", \"done\": %d, \"total\": %d, \"percent\": %d.%02d}%n",
                phase, done, totalBytes, percentX100 / 100, percentX100 % 100);
        out.flush();
    }
}
