package org.qimg.format.vmdk.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SparseHeaderTest {
    /** The first 80 bytes of {@code qemu-img create -f vmdk -o subformat=streamOptimized s.vmdk 10M} (7.2). */
    private static final String QEMU_STREAM_HEADER = "4b444d5603000000030003000050000000000000800000000000000001000000"
            + "0000000014000000000000000002000015000000000000001a00000000000000"
            + "8000000000000000000a200d0a010000";

    @Test
    void decodesQemusStreamOptimizedHeader() {
        ByteBuffer b = ByteBuffer.allocate(SparseLayout.HEADER_BYTES).put(HexFormat.of().parseHex(QEMU_STREAM_HEADER));
        SparseHeader h = SparseHeader.decode(b);
        assertThat(h.magic()).isEqualTo(SparseLayout.MAGIC);
        assertThat(h.version()).isEqualTo(3);
        assertThat(h.hasFlag(SparseLayout.FLAG_COMPRESSED)).isTrue();
        assertThat(h.hasFlag(SparseLayout.FLAG_MARKERS)).isTrue();
        assertThat(h.hasFlag(SparseLayout.FLAG_ZEROED_GRAIN_GTE)).isFalse();
        assertThat(h.capacity()).isEqualTo(10L * 1024 * 1024 / SparseLayout.SECTOR);
        assertThat(h.grainSize()).isEqualTo(SparseLayout.DEFAULT_GRAIN_SECTORS);
        assertThat(h.descriptorOffset()).isEqualTo(1);
        assertThat(h.descriptorSize()).isEqualTo(20);
        assertThat(h.numGTEsPerGT()).isEqualTo(SparseLayout.GTES_PER_GT);
        assertThat(h.rgdOffset()).isEqualTo(0x15);
        assertThat(h.gdOffset()).isEqualTo(0x1a);
        assertThat(h.overhead()).isEqualTo(0x80);
        assertThat(h.newlineTest()).isEqualTo(SparseHeader.validNewlineTest());
        assertThat(h.compressAlgorithm()).isEqualTo(SparseLayout.COMPRESSION_DEFLATE);
        assertThat(h.encode().array()).isEqualTo(b.array());
    }

    @Test
    void extentLinesRoundTrip() {
        ExtentLine flat = ExtentLine.parse("RW 4192256 FLAT \"disk-f001.vmdk\" 0").orElseThrow();
        assertThat(flat).isEqualTo(new ExtentLine("RW", 4192256, "FLAT", "disk-f001.vmdk", 0));
        assertThat(flat.format()).isEqualTo("RW 4192256 FLAT \"disk-f001.vmdk\" 0");
        ExtentLine sparse = ExtentLine.parse("RW 20480 SPARSE \"a b.vmdk\"").orElseThrow();
        assertThat(sparse.file()).isEqualTo("a b.vmdk");
        assertThat(sparse.format()).isEqualTo("RW 20480 SPARSE \"a b.vmdk\"");
        assertThat(ExtentLine.parse("RW 100 ZERO").orElseThrow().file()).isNull();
        assertThat(ExtentLine.parse("RW 99999999999999999999 FLAT \"x\" 0")).isEmpty();
        assertThat(ExtentLine.parse("XX 1 FLAT \"x\" 0")).isEmpty();
        assertThat(ExtentLine.parse("RW 1 FLAT \"x")).isEmpty();
        assertThat(ExtentLine.parse("ddb.adapterType = \"ide\"")).isEmpty();
    }
}
