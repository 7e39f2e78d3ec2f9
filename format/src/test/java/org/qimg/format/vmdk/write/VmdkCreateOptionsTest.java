package org.qimg.format.vmdk.write;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.qimg.format.ImageException;

/** The option rules; the messages themselves are checked against qemu-img by the vmdkout integration tests. */
class VmdkCreateOptionsTest {

    @Test
    void defaultsAreQemuImgs() throws Exception {
        VmdkCreateOptions o = VmdkCreateOptions.builder().apply("size=1000").build();
        assertThat(o.subformat()).isEqualTo("monolithicSparse");
        assertThat(o.hwVersion()).isEqualTo("4");
        assertThat(o.toolsVersion()).isEqualTo("2147483647");
        assertThat(o.adapterType()).isNull();
        assertThat(o.capacitySectors()).isEqualTo(2);
    }

    @Test
    void compat6MeansHardwareVersion6AndExcludesHwversion() throws Exception {
        assertThat(VmdkCreateOptions.builder().apply("compat6=on").build().hwVersion()).isEqualTo("6");
        assertThat(VmdkCreateOptions.builder().apply("compat6=on,hwversion=undefined").build().hwVersion())
                .isEqualTo("6");
        assertThatThrownBy(() -> VmdkCreateOptions.builder().apply("compat6=on,hwversion=7").build())
                .isInstanceOf(ImageException.class).hasMessage("compat6 cannot be enabled with hwversion set");
    }

    @Test
    void valuesAreCaseSensitiveAsInQemu() {
        assertThatThrownBy(() -> VmdkCreateOptions.builder().apply("subformat=streamoptimized").build())
                .hasMessage("invalid parameter value: streamoptimized");
        assertThatThrownBy(() -> VmdkCreateOptions.builder().apply("adapter_type=IDE").build())
                .hasMessage("invalid parameter value: IDE");
    }

    @Test
    void unknownNamesAndBadBooleansFailWhenParsed() {
        assertThatThrownBy(() -> VmdkCreateOptions.builder().apply("cluster_size=4k"))
                .hasMessage("Invalid parameter 'cluster_size'");
        assertThatThrownBy(() -> VmdkCreateOptions.builder().apply("zeroed_grain=2"))
                .hasMessage("Parameter 'zeroed_grain' expects 'on' or 'off'");
    }

    @Test
    void describeListsOptionsInQemusOrderWithDefaults() throws Exception {
        VmdkCreateOptions.Builder b = VmdkCreateOptions.builder()
                .apply("zeroed_grain=on,subformat=streamOptimized,toolsversion=5,adapter_type=lsilogic,size=4096");
        assertThat(b.describe()).isEqualTo("size=4096 adapter_type=lsilogic compat6=off hwversion=undefined"
                + " toolsversion=5 subformat=streamOptimized zeroed_grain=on");
    }
}
