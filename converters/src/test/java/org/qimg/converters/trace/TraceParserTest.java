package org.qimg.converters.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TraceParserTest {

    private static Trace parse(String text) throws IOException {
        return new TraceParser().parse("t.trace", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void virtioEventsWithQemuSystemTimestampPrefix() throws IOException {
        // As qemu-system-x86_64 7.2 "-trace enable=virtio_blk_handle_read,file=..." writes them.
        Trace t = parse("""
                31337@1732630000.123456:virtio_blk_handle_read vdev 0x55d0c8a3f1d0 req 0x7f1c2c001290 sector 0 nsectors 8
                31337@1732630000.123999:virtio_blk_handle_read vdev 0x55d0c8a3f1d0 req 0x7f1c2c001290 sector 2048 nsectors 256
                31337@1732630000.124001:virtio_blk_handle_write vdev 0x55d0c8a3f1d0 req 0x7f1c2c001290 sector 9 nsectors 1
                """);
        assertThat(t.ranges()).containsExactly(new GuestRange(0, 4096, 1), new GuestRange(2048L * 512, 256 * 512, 2));
        assertThat(t.virtioReads()).isEqualTo(2);
        assertThat(t.ignoredLines()).isEqualTo(1);
        assertThat(t.kind()).isEqualTo("virtio_blk_handle_read");
        assertThat(t.bytesRead()).isEqualTo(4096 + 131072);
    }

    @Test
    void blockEventsAsQemuIoWritesThemWithoutPrefix() throws IOException {
        Trace t = parse("""
                blk_co_preadv blk 0x563d1e7801b0 bs 0x563d1e77ae20 offset 0 bytes 512 flags 0x0
                blk_co_preadv blk 0x563d1e768960 bs 0x563d1e772ac0 offset 1048576 bytes 4096 flags 0x0
                """);
        assertThat(t.ranges()).containsExactly(new GuestRange(0, 512, 1), new GuestRange(1048576, 4096, 2));
        assertThat(t.blockReads()).isEqualTo(2);
    }

    @Test
    void blockEventsAreNotUsedWhenVirtioEventsDescribeTheSameReads() throws IOException {
        Trace t = parse("""
                1@2.000003:virtio_blk_handle_read vdev 0x1 req 0x2 sector 8 nsectors 8
                1@2.000004:blk_co_preadv blk 0x1 bs 0x2 offset 4096 bytes 4096 flags 0x0
                """);
        assertThat(t.ranges()).containsExactly(new GuestRange(4096, 4096, 1));
        assertThat(t.blockReads()).isEqualTo(1);
    }

    @Test
    void plainListWithHexSuffixesCommentsAndBlankLines() throws IOException {
        Trace t = parse("""
                # boot reads
                0 4k

                0x100000 0x1000   # hex both
                1G 2M
                4096,512
                """);
        assertThat(t.ranges()).containsExactly(new GuestRange(0, 4096, 2), new GuestRange(0x100000, 0x1000, 4),
                new GuestRange(1L << 30, 2L << 20, 5), new GuestRange(4096, 512, 6));
        assertThat(t.plainLines()).isEqualTo(4);
        assertThat(t.kind()).isEqualTo("plain");
    }

    @Test
    void zeroLengthEventsAreDropped() throws IOException {
        Trace t = parse("virtio_blk_handle_read vdev 0x1 req 0x2 sector 8 nsectors 0\n"
                + "virtio_blk_handle_read vdev 0x1 req 0x2 sector 8 nsectors 1\n");
        assertThat(t.ranges()).containsExactly(new GuestRange(4096, 512, 2));
    }

    @Test
    void crlfLineEndingsAreAccepted() throws IOException {
        assertThat(parse("0 512\r\n512 512\r\n").ranges()).hasSize(2);
    }

    @Test
    void malformedVirtioEventNamesFileAndLine() {
        assertThatThrownBy(() -> parse("# header\n"
                + "5@1.000001:virtio_blk_handle_read vdev 0x1 req 0x2 sector 12 nsectors x\n"))
                .isInstanceOf(TraceFormatException.class)
                .hasMessageStartingWith("t.trace:2: malformed virtio_blk_handle_read event")
                .hasMessageContaining("found 'vdev 0x1 req 0x2 sector 12 nsectors x'")
                .satisfies(e -> assertThat(((TraceFormatException) e).line()).isEqualTo(2));
    }

    @Test
    void malformedBlockEventNamesLine() {
        assertThatThrownBy(() -> parse("blk_co_preadv blk 0x1 bs 0x2 offset 0 bytes 512 flags 0x0\n"
                + "blk_co_preadv blk 0x1 bs 0x2 offset 0\n"))
                .hasMessageStartingWith("t.trace:2: malformed blk_co_preadv event");
    }

    @Test
    void negativeBlockLengthIsAnError() {
        assertThatThrownBy(() -> parse("blk_co_preadv blk 0x1 bs 0x2 offset 0 bytes -5 flags 0x0\n"))
                .hasMessageStartingWith("t.trace:1: negative offset or length");
    }

    @Test
    void malformedPlainLinesNameTheirLine() {
        assertThatThrownBy(() -> parse("0 4k\n\n12 34 56\n")).hasMessage("t.trace:3: expected 'OFFSET LENGTH', found '12 34 56'");
        assertThatThrownBy(() -> parse("0 4q\n")).hasMessageStartingWith("t.trace:1: expected a byte count")
                .hasMessageContaining("'4q'");
        assertThatThrownBy(() -> parse("0 0\n")).hasMessageStartingWith("t.trace:1: length must be positive");
        assertThatThrownBy(() -> parse("-1 512\n")).hasMessageStartingWith("t.trace:1: expected a byte count");
        assertThatThrownBy(() -> parse("0x 512\n")).hasMessageStartingWith("t.trace:1: expected a byte count");
    }

    @Test
    void overflowingRangesAreErrorsNotWraparounds() {
        assertThatThrownBy(() -> parse("0x7fffffffffffff00 0x200\n")).hasMessageStartingWith("t.trace:1:")
                .hasMessageContaining("overflows");
        assertThatThrownBy(() -> parse("virtio_blk_handle_read vdev 0x1 req 0x2 sector 18014398509481983 nsectors 2\n"))
                .hasMessageContaining("t.trace:1:");
        assertThatThrownBy(() -> parse("99999999999999999999 1\n")).hasMessageContaining("too large");
        assertThatThrownBy(() -> parse("16777216T 1\n")).hasMessageContaining("too large");
    }

    @Test
    void fileWithoutAnyReadIsAnError() {
        assertThatThrownBy(() -> parse("qemu-system-x86_64: terminating on signal 15\n\n"))
                .hasMessageStartingWith("t.trace: no reads found").hasMessageContaining("1 other lines skipped");
    }

    @Test
    void overlongLinesAreRefused() {
        assertThatThrownBy(() -> parse("0 512\n" + "9".repeat(TraceParser.MAX_LINE + 1) + "\n"))
                .hasMessageStartingWith("t.trace:2: line longer than");
    }

    @Test
    void readCountIsCapped() {
        TraceParser p = new TraceParser(2);
        assertThatThrownBy(() -> p.parse("t", new ByteArrayInputStream("0 1\n1 1\n2 1\n".getBytes(StandardCharsets.US_ASCII))))
                .hasMessageStartingWith("t:3: more than 2 reads");
    }
}
