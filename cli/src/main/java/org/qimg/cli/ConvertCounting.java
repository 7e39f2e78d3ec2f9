package org.qimg.cli;

import java.io.IOException;
import org.qimg.converters.convert.QemuProgressSteps;

/**
 * {@code qemu-img convert -p}'s counting: the percentage of the sectors it copies as data, in the chunks of
 * its copy loop ({@link QemuProgressSteps}); each chunk counted as the converter's progress passes its end.
 * qemu-img also prints 100% once more after the copy.
 */
final class ConvertCounting implements Progress.Counting {
    private final QemuProgressSteps steps;
    private final long allocated;
    private QemuProgressSteps.Step pending;
    private long counted;

    ConvertCounting(QemuProgressSteps steps) throws IOException {
        this.steps = steps;
        this.allocated = steps.allocatedSectors();
    }

    @Override
    public void progress(QemuProgressLine line, long done, long total) throws IOException {
        while (true) {
            if (pending == null) {
                pending = steps.next();
                if (pending == null) {
                    return;
                }
            }
            if (pending.endByte() > done) {
                return;
            }
            if (pending.countedSectors() > 0) {
                counted += pending.countedSectors();
                line.print((float) (100.0 * counted / allocated), 0);
            }
            pending = null;
        }
    }

    @Override
    public void finished(QemuProgressLine line) throws IOException {
        progress(line, Long.MAX_VALUE, 0);
        line.print(100, 0);
    }
}
