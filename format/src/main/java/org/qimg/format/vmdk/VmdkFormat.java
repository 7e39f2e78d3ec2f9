package org.qimg.format.vmdk;

import java.io.IOException;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.NewImage;
import org.qimg.format.OpenOptions;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.vmdk.layout.CowdLayout;
import org.qimg.format.vmdk.layout.DescriptorLayout;
import org.qimg.format.vmdk.layout.SparseLayout;
import org.qimg.format.vmdk.read.VmdkImage;

/**
 * VMDK, recognised as QEMU's vmdk_probe does: a sparse extent ("KDMV" or "COWD" at offset 0) or a text
 * descriptor ({@link DescriptorLayout#probe}). New images and their options are {@link VmdkTargets}'.
 */
public final class VmdkFormat implements ImageFormat {

    @Override
    public String name() {
        return "vmdk";
    }

    @Override
    public boolean matches(byte[] header, int length) {
        if (length < 4) {
            return false;
        }
        int be = ((header[0] & 0xff) << 24) | ((header[1] & 0xff) << 16) | ((header[2] & 0xff) << 8)
                | (header[3] & 0xff);
        return be == CowdLayout.MAGIC_BE || Integer.reverseBytes(be) == SparseLayout.MAGIC
                || DescriptorLayout.probe(header);
    }

    @Override
    public DiskImage open(Path path, OpenOptions options) throws IOException {
        return VmdkImage.open(path, options);
    }

    @Override
    public DiskImage open(Path file, java.nio.channels.FileChannel bytes, OpenOptions options) throws IOException {
        return VmdkImage.open(file, bytes, options);
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public NewImage create(TargetRequest request) throws ImageException {
        return VmdkTargets.create(request);
    }

    @Override
    public TargetImage openForUpdate(Path existing, TargetRequest request) throws IOException {
        return VmdkTargets.openForUpdate(existing, request);
    }
}
