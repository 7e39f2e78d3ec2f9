package org.qimg.format.qcow2.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** The L1/L2 entry codec: compressed descriptors round-trip, and standard entries classify as QEMU does. */
class EntriesPropertiesTest {

    @Property
    void compressedDescriptorRoundTrips(@ForAll @IntRange(min = 9, max = 21) int clusterBits,
                                        @ForAll @LongRange(min = 0, max = (1L << 40) - 1) long offset,
                                        @ForAll @IntRange(min = 1, max = 1 << 21) int length) {
        Assume.that(length <= 1 << clusterBits);
        long e = Entries.compressedEntry(offset, length, clusterBits);
        assertThat(e & Entries.COMPRESSED).isNotZero();
        assertThat(e & Entries.COPIED).as("COPIED is never set on compressed entries").isZero();
        assertThat(Entries.type(e, false, false)).isEqualTo(Entries.Type.COMPRESSED);
        assertThat(Entries.type(e, true, true)).isEqualTo(Entries.Type.COMPRESSED);
        assertThat(Entries.compressedOffset(e, clusterBits)).isEqualTo(offset);
        long span = Entries.compressedSpan(e, clusterBits);
        // the span covers the payload and ends at the end of the payload's last 512-byte sector
        assertThat(span).isGreaterThanOrEqualTo(length);
        assertThat((offset + span) % 512).isZero();
        assertThat(offset + span - (offset + length)).isLessThan(512);
        // the sector count field holds the sectors after the first, as the spec's writer formula says
        assertThat(Entries.compressedExtraSectors(e, clusterBits))
                .isEqualTo((offset + length - 1) / 512 - offset / 512);
    }

    @Property
    void compressedOffsetMustFitItsField(@ForAll @IntRange(min = 9, max = 21) int clusterBits) {
        long limit = 1L << Entries.compressedShift(clusterBits);
        assertThat(Entries.compressedOffset(Entries.compressedEntry(limit - 512, 1, clusterBits), clusterBits))
                .isEqualTo(limit - 512);
        assertThatThrownBy(() -> Entries.compressedEntry(limit, 1, clusterBits))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Entries.compressedEntry(0, 0, clusterBits))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Property
    void compressedShiftIsTheSpecsX(@ForAll @IntRange(min = 9, max = 21) int clusterBits) {
        // qcow2.txt: x = 62 - (cluster_bits - 8); the sector field then reaches bit 61
        int x = Entries.compressedShift(clusterBits);
        assertThat(x + (clusterBits - 8)).isEqualTo(62);
    }

    @Property
    void standardEntriesClassifyAsQemu(@ForAll @LongRange(min = 0, max = (1L << 47) - 1) long cluster,
                                       @ForAll boolean copied, @ForAll boolean zero, @ForAll boolean dataFile) {
        long offset = cluster << 9;
        long e = offset | (copied ? Entries.COPIED : 0) | (zero ? Entries.ZERO : 0);
        assertThat(e & Entries.OFFSET_MASK).isEqualTo(offset);
        Entries.Type t = Entries.type(e, false, dataFile);
        if (zero) {
            assertThat(t).isEqualTo(offset != 0 ? Entries.Type.ZERO_ALLOC : Entries.Type.ZERO_PLAIN);
        } else if (offset != 0) {
            assertThat(t).isEqualTo(Entries.Type.NORMAL);
        } else {
            assertThat(t).isEqualTo(dataFile && copied ? Entries.Type.NORMAL : Entries.Type.UNALLOCATED);
        }
        // with extended L2, bit 0 is reserved: zeros live in the subcluster bitmap instead
        assertThat(Entries.type(e, true, false))
                .isEqualTo(offset != 0 ? Entries.Type.NORMAL : Entries.Type.UNALLOCATED);
    }

    @Property
    void reservedMasksLeaveNoValidBitOut(@ForAll long entry) {
        // every bit of a standard L2 entry is the offset, a flag, or reserved: exactly one of them
        long l2Known = Entries.OFFSET_MASK | Entries.COPIED | Entries.COMPRESSED | Entries.ZERO;
        assertThat(l2Known & Entries.L2_STD_RESERVED_MASK).isZero();
        assertThat(l2Known | Entries.L2_STD_RESERVED_MASK).isEqualTo(-1L);
        long l1Known = Entries.OFFSET_MASK | Entries.COPIED;
        assertThat(l1Known & Entries.L1_RESERVED_MASK).isZero();
        assertThat(l1Known | Entries.L1_RESERVED_MASK).isEqualTo(-1L);
        assertThat(Entries.REFTABLE_OFFSET_MASK ^ Entries.REFTABLE_RESERVED_MASK).isEqualTo(-1L);
        assertThat(Entries.SUBCLUSTERS_ALLOCATED ^ Entries.SUBCLUSTERS_ZERO).isEqualTo(-1L);
        assertThat(Long.bitCount(Entries.SUBCLUSTERS_ALLOCATED)).isEqualTo(Entries.SUBCLUSTERS);
        assertThat(entry & Entries.OFFSET_MASK & 511).isZero();
    }
}
