package org.qimg.converters.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void parsesDecimalHexAndSuffixes() {
        assertThat(Sizes.parse("0")).isZero();
        assertThat(Sizes.parse("4096")).isEqualTo(4096);
        assertThat(Sizes.parse("0x1000")).isEqualTo(4096);
        assertThat(Sizes.parse("0x1b")).isEqualTo(27);
        assertThat(Sizes.parse("4k")).isEqualTo(4096);
        assertThat(Sizes.parse("4K")).isEqualTo(4096);
        assertThat(Sizes.parse("2MiB")).isEqualTo(2 << 20);
        assertThat(Sizes.parse("1G")).isEqualTo(1L << 30);
        assertThat(Sizes.parse("3T")).isEqualTo(3L << 40);
        assertThat(Sizes.parse("0x2kB")).isEqualTo(2048);
        assertThat(Sizes.parse("512B")).isEqualTo(512);
    }

    @Test
    void refusesGarbageAndOverflow() {
        for (String bad : new String[] {"", "k", "0x", "1.5G", "-1", "4 k", "1iB", "0xg"}) {
            assertThatThrownBy(() -> Sizes.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected a byte count");
        }
        assertThatThrownBy(() -> Sizes.parse("8388608T")).hasMessageContaining("too large");
        assertThatThrownBy(() -> Sizes.parse("0xffffffffffffffff")).hasMessageContaining("too large");
    }
}
