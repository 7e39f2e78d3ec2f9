package org.qimg.converters;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** The result of a pool task, with the task's own exception rethrown as the caller's. */
public final class WorkerResult {
    private WorkerResult() {
    }

    /**
     * Waits for {@code f}. What the task threw is rethrown: an IOException or RuntimeException as is, an
     * UncheckedIOException as its cause, anything else (an Error) wrapped in an IOException, so that a
     * command reports it in one line. An interrupt of the waiting thread becomes an InterruptedIOException
     * "{@code what} interrupted" (the interrupt flag is kept).
     */
    public static <T> T get(Future<T> f, String what) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException io = new InterruptedIOException(what + " interrupted");
            io.initCause(e);
            throw io;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(String.valueOf(c), c);
        }
    }
}
