package org.qimg.format.qcow2.update;

import org.qimg.format.AmendRequest;

/**
 * QEMU's {@code qcow2_amend_helper_cb}: an amend runs up to three operations (upgrade, refcount width change,
 * downgrade), each reporting its own offset of its own work size; this turns them into one progress over the
 * whole, projecting the work of the operations not started yet from those done so far.
 */
final class AmendProgress {
    /** QEMU's {@code Qcow2AmendOperation}. */
    enum Operation { NONE, UPGRADING, CHANGING_REFCOUNT_ORDER, DOWNGRADING }

    private final AmendRequest.Status out;
    private final int totalOperations;
    private Operation current = Operation.NONE;
    private Operation last = Operation.NONE;
    private int completed;
    private long offsetCompleted;
    private long lastWorkSize;

    AmendProgress(AmendRequest.Status out, int totalOperations) {
        this.out = out;
        this.totalOperations = totalOperations;
    }

    void begin(Operation op) {
        current = op;
    }

    /** The current operation has done {@code offset} of {@code workSize}. */
    void status(long offset, long workSize) {
        if (current != last) {
            if (last != Operation.NONE) {
                offsetCompleted += lastWorkSize;
                completed++;
            }
            last = current;
        }
        if (totalOperations <= 0 || completed >= totalOperations) {
            return;
        }
        lastWorkSize = workSize;
        long currentWork = offsetCompleted + workSize;
        long projected = currentWork * (totalOperations - completed - 1) / (completed + 1);
        out.progress(offsetCompleted + offset, currentWork + projected);
    }
}
