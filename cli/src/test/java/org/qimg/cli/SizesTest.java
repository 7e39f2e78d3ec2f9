package org.qimg.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

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
        // qemu-img 7.2 map -s rejects every one of these too, in two lines (ErrorHandler prefixes each)
        for (String bad : new String[] {"", "x", "1e3", ".5k", "-0", "-1", "1.5", "4M ", "99999999999999999999k"}) {
            assertThatThrownBy(() -> Sizes.parse("start offset", bad)).as("'%s'", bad)
                    .isInstanceOf(ExitCodeException.class)
                    .hasMessage("Invalid start offset specified. You may use k, M, G, T, P or E suffixes for\n"
                            + "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }
        // well-formed but 2^63 or more: qemu-img's range message
        for (String big : new String[] {"8E", "99999999999999999999"}) {
            assertThatThrownBy(() -> Sizes.parse("start offset", big)).as("'%s'", big)
                    .isInstanceOf(ExitCodeException.class)
                    .hasMessage("Invalid start offset specified. Must be between 0 and 9223372036854775807.");
        }
    }
}
