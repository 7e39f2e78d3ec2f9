package org.qimg.examples;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.qimg.ConvertSpec;
import org.qimg.Qimg;
import org.qimg.format.DiskImage;

/**
 * The two examples of README's "Use as a library", word for word between the markers; they use only the public
 * entry point ({@link Qimg}, {@link ConvertSpec}, {@link DiskImage}). {@link LibraryExamplesTest} runs them.
 */
final class LibraryExamples {
    private LibraryExamples() {
    }

    // example: read
    static byte[] readFirstSector(Path qcow2) throws IOException {
        try (DiskImage disk = Qimg.open(qcow2)) {
            ByteBuffer sector = ByteBuffer.allocate(512);
            disk.read(0, sector);
            return sector.array();
        }
    }
    // end

    // example: compress
    static void compress(Path raw, Path qcow2) throws IOException {
        Qimg.convert(raw, qcow2, ConvertSpec.to("qcow2")
                .option("compression_type", "zstd")
                .compressed()
                .progress((done, total) -> System.out.printf("%d%%%n", total == 0 ? 100 : done * 100 / total)));
    }
    // end
}
