package org.qimg.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLI's byte counts ({@code map -s/-l}, {@code convert -S}) follow the same rules as create's SIZE. */
class SizesTest {

    @Test
    void acceptsWhatQemuImgAccepts() {
        assertThat(Sizes.parse("x", "0")).isZero();
        assertThat(Sizes.parse("x", "4096")).isEqualTo(4096);
        assertThat(Sizes.parse("x", "1B")).isEqualTo(1);
        assertThat(Sizes.parse("x", "64k")).isEqualTo(65536).isEqualTo(Sizes.parse("x", "64K"));
        assertThat(Sizes.parse("x", "1.5k")).isEqualTo(1536);
        assertThat(Sizes.parse("x", " 7")).isEqualTo(7);
        assertThat(Sizes.parse("x", "7E")).isEqualTo(7L << 60);
    }

    @Test
    void rejectsWhatQemuImgRejects() {
        // qemu-img 7.2 map -s rejects every one of these too (the last two as out of range, worded differently)
        for (String bad : new String[] {"", "x", "1e3", ".5k", "-0", "-1", "8E", "99999999999999999999"}) {
            assertThatThrownBy(() -> Sizes.parse("start offset", bad)).as("'%s'", bad)
                    .isInstanceOf(CommandLine.TypeConversionException.class)
                    .hasMessage("Invalid start offset specified. You may use k, M, G, T, P or E suffixes for"
                            + " kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }
    }
}
