package org.qimg.converters.info;

import org.qimg.format.spec.QemuKeyOrder;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InfoTextTest {
    @Test
    void sizesAsQemuPrintsThem() {
        // values as printed by qemu-img 7.2 (info "disk size" / "virtual size")
        assertThat(SizeText.of(0)).isEqualTo("0 B");
        assertThat(SizeText.of(200704)).isEqualTo("196 KiB");
        assertThat(SizeText.of(4194304)).isEqualTo("4 MiB");
        assertThat(SizeText.of(1000 * 1024)).isEqualTo("0.977 MiB");
        assertThat(SizeText.of(999)).isEqualTo("999 B");
        assertThat(SizeText.of(1536L << 20)).isEqualTo("1.5 GiB");
        assertThat(SizeText.formatG3(999.6)).isEqualTo("1e+03");
    }

    @Test
    void keyOrderFollowsQemusHashTable() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k : new String[] {"filename", "format", "dirty-flag", "actual-size", "virtual-size",
                "cluster-size", "backing-filename", "full-backing-filename", "backing-filename-format",
                "format-specific"}) {
            m.put(k, 1);
        }
        // the order qemu-img 7.2 printed for an overlay qcow2
        assertThat(QemuKeyOrder.reorder(m).keySet()).containsExactly("backing-filename-format", "virtual-size",
                "filename", "cluster-size", "format", "actual-size", "format-specific", "full-backing-filename",
                "backing-filename", "dirty-flag");
    }
}
