package org.qimg.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.qimg.converters.convert.ConvertOptions;
import org.qimg.converters.convert.Converter;
import org.qimg.format.ImageException;
import org.qimg.format.codec.Compressors;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.update.Qcow2Updater;

/** Wires {@code -n -O qcow2} (optionally {@code -c}) to the format module's in-place {@link Qcow2Updater}. */
final class Qcow2InPlace {
    private Qcow2InPlace() {
    }

    /** Sets up {@code b} to write into the existing qcow2 image {@code dst}; returns its cluster size. */
    static int configure(ConvertOptions.Builder b, Path dst, boolean compress) throws IOException {
        Converter.checkInPlaceDestination(dst, "qcow2");
        Qcow2Header h;
        try (FileChannel ch = NamedChannel.open(dst, StandardOpenOption.READ)) {
            h = Qcow2Header.read(ch, dst);
        } catch (NoSuchFileException e) {
            throw new ImageException("Could not open '" + dst + "': No such file or directory");
        }
        b.clusterTarget((channel, path, sourceSize) ->
                Qcow2Updater.open(channel, path, sourceSize, compress));
        if (compress) {
            Compressors.setFallbackNotice(m -> System.err.println("qimg: " + m));
            int cs = h.clusterSize();
            b.compress(() -> Compressors.create(h.compressionType(), Compressors.defaultLevel(h.compressionType()),
                    cs));
        }
        return h.clusterSize();
    }
}
