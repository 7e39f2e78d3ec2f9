package org.qimg.format.qcow2.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.qimg.format.CorruptImageException;

/**
 * The header decoded once ({@link HeaderFields}) and the header-extension framing ({@link ExtensionWalk}):
 * fields come from the spec's offsets with v2 defaults for the v3 fields; extensions written with the spec's
 * framing are walked back exactly, and an extension longer than the area is refused, as QEMU refuses it.
 */
class HeaderFramingPropertiesTest {

    @Property
    void v3FieldsAreReadFromTheirOffsetsAndV2GetsTheDefaults(@ForAll int clusterBits, @ForAll long size,
                                                              @ForAll long incompatible, @ForAll int refcountOrder,
                                                              @ForAll boolean v3) {
        ByteBuffer h = ByteBuffer.allocate(HeaderFields.BYTES);
        h.putInt(HeaderLayout.OFF_MAGIC, HeaderLayout.MAGIC).putInt(HeaderLayout.OFF_VERSION, v3 ? 3 : 2)
                .putInt(HeaderLayout.OFF_CLUSTER_BITS, clusterBits).putLong(HeaderLayout.OFF_SIZE, size)
                .putLong(HeaderLayout.OFF_INCOMPAT, incompatible)
                .putInt(HeaderLayout.OFF_REFCOUNT_ORDER, refcountOrder)
                .putInt(HeaderLayout.OFF_HEADER_LENGTH, HeaderLayout.V3_HEADER_LENGTH)
                .put(HeaderLayout.OFF_COMPRESSION_TYPE, (byte) 1);
        HeaderFields f = HeaderFields.decode(h);
        assertThat(f.magic()).isEqualTo(HeaderLayout.MAGIC);
        assertThat(f.clusterBits()).isEqualTo(Integer.toUnsignedLong(clusterBits));
        assertThat(f.size()).isEqualTo(size);
        assertThat(f.incompatible()).isEqualTo(v3 ? incompatible : 0);
        assertThat(f.refcountOrder()).isEqualTo(v3 ? Integer.toUnsignedLong(refcountOrder) : 4);
        assertThat(f.headerLength()).isEqualTo(v3 ? HeaderLayout.V3_HEADER_LENGTH : HeaderLayout.V2_HEADER_LENGTH);
        assertThat(f.compressionType()).isEqualTo(v3 ? 1 : 0);
    }

    record Ext(int type, byte[] payload) {
    }

    @Property
    void extensionsRoundTripThroughTheWalk(@ForAll @Size(max = 6) List<@IntRange(min = 1, max = 40) Integer> lengths,
                                           @ForAll @IntRange(min = 0, max = 64) int slack) throws IOException {
        List<Ext> written = new ArrayList<>();
        int bytes = 8; // the end marker
        for (int i = 0; i < lengths.size(); i++) {
            byte[] p = new byte[lengths.get(i)];
            java.util.Arrays.fill(p, (byte) (i + 1));
            written.add(new Ext(0x1000 + i, p));
            bytes += 8 + (p.length + 7) / 8 * 8;
        }
        ByteBuffer area = ByteBuffer.allocate(bytes + slack);
        for (Ext e : written) {
            area.putInt(e.type()).putInt(e.payload().length).put(e.payload());
            area.position((area.position() + 7) / 8 * 8);
        }
        area.clear(); // the end marker (type 0, length 0) and the slack are zeros already
        List<Ext> walked = new ArrayList<>();
        ExtensionWalk.walk(area, 112, "x.qcow2", x -> {
            byte[] p = new byte[x.length()];
            area.get(x.payload(), p);
            walked.add(new Ext(x.type(), p));
        });
        assertThat(walked).hasSameSizeAs(written);
        for (int i = 0; i < written.size(); i++) {
            assertThat(walked.get(i).type()).isEqualTo(written.get(i).type());
            assertThat(walked.get(i).payload()).isEqualTo(written.get(i).payload());
        }
    }

    @Property
    void anExtensionLongerThanTheAreaIsRefused(@ForAll @IntRange(min = 16, max = 256) int areaBytes,
                                               @ForAll @IntRange(min = 1, max = 1024) int over) {
        ByteBuffer area = ByteBuffer.allocate(areaBytes);
        area.putInt(0, 0x1234).putInt(4, areaBytes - 8 + over);
        assertThatThrownBy(() -> ExtensionWalk.walk(area, 112, "x.qcow2", x -> { }))
                .isInstanceOf(org.qimg.format.FileOpenException.class)
                .hasMessage("Could not open 'x.qcow2': Header extension too large")
                .cause().isInstanceOf(CorruptImageException.class).hasMessageContaining("header extension too large");
    }
}
