package org.qimg.cli;

/**
 * qemu-img compare's progress: each chunk compared adds its share of the larger image's size
 * (single-precision steps, a line when the total moved by more than 2 percent).
 */
final class CompareCounting implements Progress.Counting {
    private long last;

    @Override
    public void progress(QemuProgressLine line, long done, long total) {
        if (total > 0 && done > last) {
            line.print(((float) (done - last) / (float) total) * 100, 100);
            last = done;
        }
    }

    @Override
    public void finished(QemuProgressLine line) {
        // qemu-img prints nothing more: the chunks add up to 100
    }
}
