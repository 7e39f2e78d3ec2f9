package org.qimg.format.qcow2.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The fixed heads of snapshot table entries and bitmap directory entries: every field round-trips through its
 * place in the head (unsigned fields as QEMU stores them), at any offset of a buffer, and the entry lengths
 * follow the spec's 8-byte padding.
 */
class EntryHeadsPropertiesTest {

    @Property
    void snapshotHeadRoundTrips(@ForAll long l1Offset, @ForAll @LongRange(min = 0, max = 0xffffffffL) long l1Size,
                                @ForAll @IntRange(min = 0, max = 0xffff) int idSize,
                                @ForAll @IntRange(min = 0, max = 0xffff) int nameSize,
                                @ForAll @LongRange(min = 0, max = 0xffffffffL) long dateSec,
                                @ForAll @LongRange(min = 0, max = 0xffffffffL) long dateNsec, @ForAll long vmClock,
                                @ForAll @LongRange(min = 0, max = 0xffffffffL) long vmState,
                                @ForAll @LongRange(min = 0, max = 0xffffffffL) long extra,
                                @ForAll @IntRange(min = 0, max = 64) int at) {
        SnapshotEntryHead h = new SnapshotEntryHead(l1Offset, l1Size, idSize, nameSize, dateSec, dateNsec, vmClock,
                vmState, extra);
        ByteBuffer b = ByteBuffer.allocate(at + SnapshotEntryHead.BYTES);
        b.position(at);
        h.encode(b);
        assertThat(b.position()).isEqualTo(at + SnapshotEntryHead.BYTES);
        assertThat(SnapshotEntryHead.decode(b, at)).isEqualTo(h);
        // fields at the spec's offsets, big-endian
        assertThat(b.getLong(at)).isEqualTo(l1Offset);
        assertThat(Integer.toUnsignedLong(b.getInt(at + SnapshotEntryHead.OFF_EXTRA_SIZE))).isEqualTo(extra);
        assertThat(h.variableBytes()).isEqualTo(extra + idSize + nameSize);
    }

    @Property
    void paddingReachesTheNextMultipleOfEight(@ForAll @LongRange(min = 0, max = 1L << 40) long n) {
        long p = SnapshotEntryHead.padded(n);
        assertThat(p % 8).isZero();
        assertThat(p - n).isBetween(0L, 7L);
    }

    @Property
    void bitmapHeadDecodesEveryField(@ForAll long tableOffset,
                                     @ForAll @LongRange(min = 0, max = 0xffffffffL) long tableSize,
                                     @ForAll @LongRange(min = 0, max = 0xffffffffL) long flags,
                                     @ForAll @IntRange(min = 0, max = 255) int type,
                                     @ForAll @IntRange(min = 0, max = 255) int granularityBits,
                                     @ForAll @IntRange(min = 0, max = 0xffff) int nameSize,
                                     @ForAll @LongRange(min = 0, max = 0xffffffffL) long extra,
                                     @ForAll @IntRange(min = 0, max = 64) int at) {
        // qcow2.txt, "Bitmap directory": offset 0, size 8, flags 12, type 16, granularity 17, name size 18, extra 20
        ByteBuffer b = ByteBuffer.allocate(at + BitmapEntryHead.BYTES);
        b.putLong(at, tableOffset).putInt(at + 8, (int) tableSize).putInt(at + 12, (int) flags)
                .put(at + 16, (byte) type).put(at + 17, (byte) granularityBits).putShort(at + 18, (short) nameSize)
                .putInt(at + 20, (int) extra);
        BitmapEntryHead h = BitmapEntryHead.decode(b, at);
        assertThat(h).isEqualTo(new BitmapEntryHead(tableOffset, tableSize, flags, type, granularityBits, nameSize,
                extra));
        assertThat(h.entryBytes() % 8).isZero();
        assertThat(h.entryBytes() - (BitmapEntryHead.BYTES + extra + nameSize)).isBetween(0L, 7L);
        assertThat(h.inUse()).isEqualTo((flags & BitmapEntryHead.FLAG_IN_USE) != 0);
    }
}
