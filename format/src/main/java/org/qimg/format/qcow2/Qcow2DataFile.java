package org.qimg.format.qcow2;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.qimg.format.ImageException;
import org.qimg.format.ResizeRequest;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;
import org.qimg.format.qcow2.write.Qcow2Writer;
import org.qimg.format.raw.HostTruncate;

/**
 * A new qcow2 image's external data file ({@code -o data_file=NAME}), made as qemu-img makes it: created (or
 * emptied) under NAME as given, relative to the working directory, then sized to the virtual size as QEMU's
 * file driver grows a file (first block written; {@code falloc}/{@code full} preallocate it).
 */
public final class Qcow2DataFile {
    private Qcow2DataFile() {
    }

    /** The file driver's preallocation for the data: falloc and full as given, else none. */
    private static ResizeRequest.Preallocation mode(Qcow2CreateOptions options) {
        return switch (options.preallocation()) {
            case FALLOC -> ResizeRequest.Preallocation.FALLOC;
            case FULL -> ResizeRequest.Preallocation.FULL;
            default -> ResizeRequest.Preallocation.OFF;
        };
    }

    /**
     * A writer of the image {@code options} describe into {@code channel}: with an external data file, that file
     * is created first and belongs to the writer.
     */
    public static Qcow2Writer start(FileChannel channel, Path path, Qcow2CreateOptions options) throws IOException {
        return start(channel, path, options, false);
    }

    /**
     * As {@link #start(FileChannel, Path, Qcow2CreateOptions)}; {@code pathIsFile}: {@code path} is the file
     * {@code channel} writes (not only its name for errors), so preallocation=falloc can fallocate it.
     */
    public static Qcow2Writer start(FileChannel channel, Path path, Qcow2CreateOptions options, boolean pathIsFile)
            throws IOException {
        if (options.dataFile() == null) {
            Qcow2Writer w = Qcow2Writer.create(channel, path, options);
            if (pathIsFile) {
                w.growsInPlace();
            }
            long[] area = w.preallocatedDataArea();
            if (area != null) {
                HostTruncate.preallocate(channel, pathIsFile ? path : null, area[0], area[1], mode(options));
            }
            return w;
        }
        Path dataPath = Path.of(options.dataFile());
        if (options.dataFile().isEmpty()) {
            throw new ImageException("Could not create '': No such file or directory");
        }
        FileChannel data;
        try {
            data = FileChannel.open(dataPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (NoSuchFileException e) {
            throw new ImageException("Could not create '" + dataPath + "': No such file or directory", e);
        }
        try {
            HostTruncate.truncate(data, dataPath, options.virtualSize(), mode(options));
            return Qcow2Writer.create(channel, path, options, NamedChannel.wrap(data, dataPath), dataPath);
        } catch (IOException | RuntimeException e) {
            data.close();
            throw e;
        }
    }
}
