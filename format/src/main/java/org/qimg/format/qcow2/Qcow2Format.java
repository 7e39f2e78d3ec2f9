package org.qimg.format.qcow2;

import java.io.IOException;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.NewImage;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.OpenOptions;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.read.Qcow2Image;

/**
 * qcow2 (versions 2 and 3), recognised as QEMU's qcow2_probe does: magic {@code QFI\xfb} and a version of
 * at least 2 (version 1 with the same magic is the older qcow format).
 */
public final class Qcow2Format implements ImageFormat {

    @Override
    public String name() {
        return "qcow2";
    }

    @Override
    public boolean matches(byte[] header, int length) {
        return length >= 8 && be32(header, 0) == HeaderLayout.MAGIC && Integer.compareUnsigned(be32(header, 4), 2) >= 0;
    }

    private static int be32(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    @Override
    public DiskImage open(Path path, OpenOptions options) throws IOException {
        return Qcow2Image.open(path, options);
    }

    @Override
    public DiskImage open(Path file, java.nio.channels.FileChannel bytes, OpenOptions options) throws IOException {
        return Qcow2Image.open(file, bytes, options);
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public NewImage create(TargetRequest request) throws ImageException {
        return Qcow2Targets.create(request);
    }

    @Override
    public TargetImage openForUpdate(Path existing, TargetRequest request) throws IOException {
        return Qcow2Targets.openForUpdate(existing, request);
    }

    @Override
    public TargetImage openForGuestWrites(Path existing, boolean compressed) throws IOException {
        return Qcow2Targets.openForGuestWrites(existing, compressed);
    }

    @Override
    public void resize(Path path, org.qimg.format.ResizeRequest request) throws IOException {
        org.qimg.format.qcow2.update.Qcow2Resizer.resize(path, request);
    }

    @Override
    public void createSnapshot(Path path, String name, long dateSec, long dateNsec) throws IOException {
        try (org.qimg.format.qcow2.update.Qcow2Snapshots s = org.qimg.format.qcow2.update.Qcow2Snapshots.open(path, true)) {
            s.create(name, dateSec, dateNsec);
        }
    }

    @Override
    public void applySnapshot(Path path, String idOrName) throws IOException {
        long size;
        long current;
        try (org.qimg.format.qcow2.update.Qcow2Snapshots s = org.qimg.format.qcow2.update.Qcow2Snapshots.open(path, true)) {
            size = s.diskSize(idOrName);
            current = s.virtualSize();
            if (size < 0 || size == current) {
                s.apply(idOrName);
                return;
            }
        }
        // QEMU first gives the image the snapshot's virtual size (qcow2_snapshot_goto truncates)
        resize(path, new org.qimg.format.ResizeRequest(size, org.qimg.format.ResizeRequest.Preallocation.OFF,
                false, false));
        try (org.qimg.format.qcow2.update.Qcow2Snapshots s = org.qimg.format.qcow2.update.Qcow2Snapshots.open(path, true)) {
            s.apply(idOrName);
        }
    }

    @Override
    public void deleteSnapshot(Path path, String idOrName) throws IOException {
        try (org.qimg.format.qcow2.update.Qcow2Snapshots s = org.qimg.format.qcow2.update.Qcow2Snapshots.open(path, true)) {
            s.delete(idOrName);
        }
    }

    @Override
    public org.qimg.format.ImageAmender amender() {
        return new org.qimg.format.ImageAmender() {
            @Override
            public String optionsHelp() {
                return org.qimg.format.qcow2.update.Qcow2Amender.help();
            }

            @Override
            public void amend(Path path, org.qimg.format.AmendRequest request) throws IOException {
                boolean dirty;
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path)) {
                    dirty = Qcow2Header.read(ch, path).isDirty();
                }
                if (dirty) {
                    // QEMU's read-write open repairs an image that lazy refcounts left dirty
                    org.qimg.format.qcow2.check.Qcow2Check.run(path, org.qimg.format.qcow2.check.CheckMode.ALL,
                            request.log()::line);
                }
                org.qimg.format.qcow2.update.Qcow2Amender.amend(path, request);
            }
        };
    }

    @Override
    public org.qimg.format.PersistentBitmaps openBitmaps(Path path, boolean write, String node) throws IOException {
        // QEMU's open checks (the reader's) run under the bitmaps' own locks
        OpenOptions check = OpenOptions.DEFAULT.withoutBacking().metadataOnly()
                .withLock(org.qimg.format.io.LockPerms.NONE).forceShare(true);
        return org.qimg.format.qcow2.update.Qcow2Bitmaps.open(path, node, write,
                () -> Qcow2Image.open(path, check).close());
    }

    @Override
    public void setBackingFile(Path image, String backingName, String backingFormat, boolean forceShare)
            throws IOException {
        boolean none = backingName == null || backingName.isEmpty();
        org.qimg.format.qcow2.update.Qcow2BackingChanger.change(image, none ? null : backingName,
                none ? null : backingFormat, forceShare);
    }

    @Override
    public void makeEmpty(Path image, boolean forceShare) throws IOException {
        org.qimg.format.qcow2.update.Qcow2Emptier.makeEmpty(image, forceShare);
    }
}
