package org.qimg.converters.commit;

/**
 * QEMU's block job rate limit ({@code qemu-img commit -r}, {@code util/ratelimit.h} with the 100 ms slice of
 * {@code BLOCK_JOB_SLICE_TIME}): copied bytes are counted in time slices; once a slice's quota (rate / 10 bytes,
 * at least 1) is used up, the job waits until the data sent so far fits the rate, then starts a new slice.
 * Zero writes are not counted (QEMU's mirror does not count them when the target can write zeros by
 * unmapping). A rate of 0 means no limit.
 */
final class RateLimit {
    private static final long SLICE_NS = 100_000_000L;

    private final double quota;
    private long sliceStart;
    private long sliceEnd;
    private double dispatched;

    /** @param bytesPerSecond the rate; 0 for none */
    RateLimit(long bytesPerSecond) {
        this.quota = bytesPerSecond == 0 ? 0 : Math.max((double) bytesPerSecond * SLICE_NS / 1e9, 1);
    }

    /** Counts {@code bytes} just copied and waits as long as QEMU's job would before the next copy. */
    void account(long bytes) {
        if (quota == 0) {
            return;
        }
        long now = System.nanoTime();
        if (sliceEnd - now < 0 || sliceEnd == 0) {
            sliceStart = now;
            sliceEnd = now + SLICE_NS;
            dispatched = 0;
        }
        dispatched += bytes;
        if (dispatched < quota) {
            return;
        }
        double slices = dispatched / quota;
        sliceEnd = sliceStart + (long) (slices * SLICE_NS);
        long delay = sliceEnd - now;
        if (delay > 0) {
            try {
                Thread.sleep(delay / 1_000_000L, (int) (delay % 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
