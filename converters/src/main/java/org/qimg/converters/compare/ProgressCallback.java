package org.qimg.converters.compare;

/** Progress of a long scan over guest bytes; called from the scanning thread only. */
@FunctionalInterface
public interface ProgressCallback {
    ProgressCallback NONE = (done, total) -> { };

    void progress(long doneBytes, long totalBytes);
}
