package org.qimg.converters;

/**
 * Receives progress of a long operation as events; converters never print. Calls come from the thread
 * that runs the operation, in increasing {@code done} order.
 */
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() {
        @Override
        public void progress(long done, long total) {
        }
    };

    /** The operation is about to process {@code total} guest bytes. */
    default void started(long total) {
    }

    /** {@code done} of {@code total} guest bytes are finished (written, or known zero and skipped). */
    void progress(long done, long total);

    /** The operation finished successfully. Not called on failure. */
    default void finished() {
    }
}
