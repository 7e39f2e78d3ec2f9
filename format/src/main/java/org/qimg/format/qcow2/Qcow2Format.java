package org.qimg.format.qcow2;

import java.io.IOException;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormat;
import org.qimg.format.OpenOptions;
import org.qimg.format.qcow2.layout.HeaderLayout;

/** qcow2 (versions 2 and 3), recognised by its magic {@code QFI\xfb}. */
public final class Qcow2Format implements ImageFormat {

    @Override
    public String name() {
        return "qcow2";
    }

    @Override
    public boolean matches(byte[] header, int length) {
        return length >= 8 && (((header[0] & 0xff) << 24) | ((header[1] & 0xff) << 16)
                | ((header[2] & 0xff) << 8) | (header[3] & 0xff)) == HeaderLayout.MAGIC;
    }

    @Override
    public DiskImage open(Path path, OpenOptions options) throws IOException {
        return Qcow2Image.open(path, options);
    }
}
