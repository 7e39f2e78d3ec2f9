package org.qimg.format.raw;

import java.io.IOException;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.NewImage;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.OpenOptions;

/** Raw images: the file is the disk. Matches nothing by signature; it is the probe's fallback. */
public final class RawFormat implements ImageFormat {
    @Override
    public String name() {
        return "raw";
    }

    @Override
    public boolean matches(byte[] header, int length) {
        return false;
    }

    @Override
    public DiskImage open(Path path, OpenOptions options) throws IOException {
        return RawImage.open(path, options.lock().rawFile(options.forceShare()));
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public NewImage create(TargetRequest request) throws ImageException {
        return RawTarget.check(request);
    }

    /** Nothing is read: the existing file is checked and opened when it is written. */
    @Override
    public TargetImage openForUpdate(Path existing, TargetRequest request) throws ImageException {
        return RawTarget.inPlace(request);
    }

    @Override
    public void resize(Path path, org.qimg.format.ResizeRequest request) throws IOException {
        RawResize.resize(path, request);
    }
}
