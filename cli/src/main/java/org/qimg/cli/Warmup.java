package org.qimg.cli;

import java.nio.ByteBuffer;
import org.qimg.format.ImageFormats;

/**
 * Work a qimg process always needs and that does not depend on its arguments, done on the second core
 * while picocli builds and parses the command line (~25 ms of the main thread):
 * <ul>
 *   <li>JNA and libc (~25 ms of class initialisation), which every raw file needs;</li>
 *   <li>the JIT compilation of {@link ByteBuffer#mismatch}, which compare, convert's zero scan and
 *       {@code --verify} run over every byte. Until it is compiled it runs in the interpreter at
 *       ~50 MB/s, and each worker thread starts there: a few milliseconds of small comparisons here get it
 *       compiled before the first real buffer arrives (measured: the first pass of a 1.1 GiB compare
 *       282 -> 262 ms on one thread).</li>
 * </ul>
 * Nothing here is needed for correctness.
 */
final class Warmup implements Runnable {
    private static final int ROUNDS = 400;

    static void start() {
        Thread t = new Thread(new Warmup(), "qimg-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    @Override
    public void run() {
        ImageFormats.preloadNatives();
        ByteBuffer a = ByteBuffer.allocateDirect(4096);
        ByteBuffer b = ByteBuffer.allocateDirect(4096);
        long sink = 0;
        for (int i = 0; i < ROUNDS; i++) {
            sink += a.mismatch(b);
        }
        if (sink == 0) {
            throw new AssertionError("equal buffers must report no mismatch (-1)");
        }
    }
}
