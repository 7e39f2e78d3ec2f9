package org.qimg.format.vmdk.write;

import static org.qimg.format.vmdk.layout.SparseLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import org.qimg.format.io.Positional;

/**
 * The grain tables of a new sparse extent, filled in increasing grain order: only the table being filled is
 * held in memory (2 KiB whatever the disk size); when a grain of a later table arrives, the finished table is
 * written to each of its copies (a sparse extent's tables and its redundant ones, or only one copy). Tables no
 * grain touched are never written: the new file reads zeros there.
 */
final class GrainTables {
    private final FileChannel channel;
    private final long[] firstTableSectors;
    private final ByteBuffer table = ByteBuffer.allocate(GTES_PER_GT * ENTRY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private long current = -1;
    private boolean dirty;

    /** @param firstTableSectors for each copy, the sector of table 0 (tables are back to back) */
    GrainTables(FileChannel channel, long... firstTableSectors) {
        this.channel = channel;
        this.firstTableSectors = firstTableSectors.clone();
    }

    /** Sets the entry of grain {@code grain} (grains must come in increasing order). */
    void set(long grain, long value) throws IOException {
        long t = grain / GTES_PER_GT;
        if (t != current) {
            flush();
            current = t;
        }
        table.putInt((int) (grain % GTES_PER_GT) * ENTRY_BYTES, (int) value);
        dirty = true;
    }

    /** Writes the table being filled, if any grain was set in it. */
    void flush() throws IOException {
        if (dirty) {
            for (long first : firstTableSectors) {
                long sector = first + current * SparseGeometry.GT_SECTORS;
                Positional.writeFully(channel, table.clear(), sector * SECTOR);
            }
            java.util.Arrays.fill(table.array(), (byte) 0);
            dirty = false;
        }
    }
}
