package org.qimg.converters.compare;

import java.io.IOException;
import org.qimg.format.DiskImage;

/**
 * The chunks {@code qemu-img compare} (7.2) walks two images in, after each of which it adds
 * {@code chunk / max(size1, size2)} to its {@code -p} progress: over the common size, the shorter of both
 * images' block-status runs ({@link QemuBlockStatus}), cut to 2 MiB where it reads; past the shorter image,
 * the longer one's runs, cut the same way where they hold data. A front end prints qemu-img's progress lines
 * from them. Reads only metadata; one instance walks once.
 */
public final class QemuCompareSteps {
    /** qemu-img's IO_BUF_SIZE. */
    private static final long IO_BUF = 2 << 20;

    private final DiskImage a;
    private final DiskImage b;
    private final long common;
    private final long base;
    private long offset;

    public QemuCompareSteps(DiskImage a, DiskImage b) {
        this.a = a;
        this.b = b;
        this.common = Math.min(a.virtualSize(), b.virtualSize());
        this.base = Math.max(a.virtualSize(), b.virtualSize());
    }

    /** The smaller size: the part both images have. */
    public long common() {
        return common;
    }

    /** qemu-img's {@code progress_base}: the larger size. */
    public long base() {
        return base;
    }

    /** The end offset of the next chunk, or -1 after the last. */
    public long next() throws IOException {
        long chunk;
        if (offset < common) {
            QemuBlockStatus s1 = QemuBlockStatus.at(a, offset, a.virtualSize() - offset);
            QemuBlockStatus s2 = QemuBlockStatus.at(b, offset, b.virtualSize() - offset);
            chunk = Math.min(s1.length(), s2.length());
            boolean allocated1 = (s1.flags() & QemuBlockStatus.ALLOCATED) != 0;
            boolean allocated2 = (s2.flags() & QemuBlockStatus.ALLOCATED) != 0;
            if (!(s1.zero() && s2.zero()) && (allocated1 || allocated2)) {
                chunk = Math.min(chunk, IO_BUF); // read (both, or the allocated side checked for zeros)
            }
        } else if (offset < base) {
            DiskImage over = a.virtualSize() > b.virtualSize() ? a : b;
            QemuBlockStatus s = QemuBlockStatus.at(over, offset, base - offset);
            chunk = s.length();
            if ((s.flags() & QemuBlockStatus.ALLOCATED) != 0 && !s.zero()) {
                chunk = Math.min(chunk, IO_BUF);
            }
        } else {
            return -1;
        }
        if (chunk <= 0) {
            throw new IOException("no block status progress at offset " + offset);
        }
        offset += chunk;
        return offset;
    }
}
