package org.qimg.format.qcow2.write;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.qimg.format.ImageException;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;

class CreateOptionsTest {
    @Test
    void defaultsAreQemuImgs() throws Exception {
        Qcow2CreateOptions o = Qcow2CreateOptions.builder(1000).build();
        assertThat(o.virtualSize()).isEqualTo(1024);
        assertThat(o.clusterSize()).isEqualTo(65536);
        assertThat(o.version()).isEqualTo(3);
        assertThat(o.refcountBits()).isEqualTo(16);
        assertThat(o.compressionType()).isEqualTo(CompressionType.ZLIB);
        assertThat(o.compressionLevel()).isEqualTo(6);
        assertThat(Qcow2CreateOptions.builder(0).apply("compression_type=zstd").build().compressionLevel())
                .isEqualTo(3);
        assertThat(o.describe()).isEqualTo("cluster_size=65536 extended_l2=off compression_type=zlib size=1024"
                + " lazy_refcounts=off refcount_bits=16");
    }

    @Test
    void parsesQemuOptionStrings() throws Exception {
        assertThat(QemuOptionSyntax.splitOptions("backing_file=a,,b.img,backing_fmt=raw,lazy_refcounts"))
                .containsExactly(java.util.Map.entry("backing_file", "a,b.img"),
                        java.util.Map.entry("backing_fmt", "raw"), java.util.Map.entry("lazy_refcounts", "on"));
        Qcow2CreateOptions o = Qcow2CreateOptions.builder(0)
                .apply("cluster_size=4k,cluster_size=8k,size=1.5M,compat=0.10,compression_level=9").build();
        assertThat(o.clusterSize()).isEqualTo(8192);
        assertThat(o.virtualSize()).isEqualTo(1572864);
        assertThat(o.version()).isEqualTo(2);
        assertThat(o.compressionLevel()).isEqualTo(9);
    }

    @Test
    void sizesAsQemuImgReadsThem() {
        assertThat(QemuOptionSyntax.parseSize("1G")).isEqualTo(1L << 30);
        assertThat(QemuOptionSyntax.parseSize("1k")).isEqualTo(1024);
        assertThat(QemuOptionSyntax.parseSize("1K")).isEqualTo(1024);
        assertThat(QemuOptionSyntax.parseSize("1b")).isEqualTo(1);
        assertThat(QemuOptionSyntax.parseSize("2E")).isEqualTo(2L << 60);
        assertThat(QemuOptionSyntax.parseSize("8E")).isEqualTo(QemuOptionSyntax.SIZE_OUT_OF_RANGE);
        assertThat(QemuOptionSyntax.parseSize("1.3M")).isEqualTo(1363149); // rounded half up, as qemu_strtosz
        assertThat(QemuOptionSyntax.parseSize("0.0005k")).isEqualTo(1);
        assertThat(QemuOptionSyntax.parseSize("0x1000")).isEqualTo(4096);
        assertThat(QemuOptionSyntax.parseSize(" +4M")).isEqualTo(4L << 20);
        assertThat(QemuOptionSyntax.parseSize("1.")).isEqualTo(1);
        assertThat(QemuOptionSyntax.parseSize("1.5")).isEqualTo(-1); // a fraction needs a suffix
        assertThat(QemuOptionSyntax.parseSize("1.5b")).isEqualTo(-1);
        assertThat(QemuOptionSyntax.parseSize("4M ")).isEqualTo(-1);
        assertThat(QemuOptionSyntax.parseSize("1.5e3")).isEqualTo(-1);
        assertThat(QemuOptionSyntax.parseSize("7.99E")).isEqualTo(9211842821808707328L);
        assertThat(QemuOptionSyntax.parseSize("99999999999999999999")).isEqualTo(QemuOptionSyntax.SIZE_OUT_OF_RANGE);
        assertThat(QemuOptionSyntax.parseSize("99999999999999999999k")).isEqualTo(-1);
        assertThat(QemuOptionSyntax.parseSize("1x")).isEqualTo(-1);
        assertThat(QemuOptionSyntax.parseSize("-1")).isEqualTo(-1);
    }

    @Test
    void rejectsWhatQemuImgRejects() {
        assertThatThrownBy(() -> Qcow2CreateOptions.builder(0).apply("cluster_size=3k").build())
                .isInstanceOf(ImageException.class).hasMessage("Cluster size must be a power of two between 512 and 2048k");
        assertThatThrownBy(() -> Qcow2CreateOptions.builder(0).apply("refcount_bits=3").build())
                .hasMessage("Refcount width must be a power of two and may not exceed 64 bits");
        assertThatThrownBy(() -> Qcow2CreateOptions.builder(0).apply("compat=0.10,refcount_bits=8").build())
                .hasMessageStartingWith("Different refcount widths than 16 bits require compatibility level 1.1");
        assertThatThrownBy(() -> Qcow2CreateOptions.builder(0).apply("cluster_size=8k,extended_l2=on").build())
                .hasMessage("Extended L2 entries are only supported with cluster sizes of at least 16384 bytes");
        // value errors come from build(): qemu-img prints its "Formatting" line before finding them
        assertThatThrownBy(() -> Qcow2CreateOptions.builder(0).apply("compat=0.11").build())
                .hasMessage("Parameter 'version' does not accept value '0.11'");
        assertThatThrownBy(() -> Qcow2CreateOptions.builder(0).apply("foo=1")).hasMessage("Invalid parameter 'foo'");
        assertThatThrownBy(() -> Qcow2CreateOptions.builder(0).apply("compression_type=lz4").build())
                .hasMessage("Parameter 'compression-type' does not accept value 'lz4'");
        assertThatThrownBy(() -> Qcow2CreateOptions.builder(0).apply("compression_level=10").build())
                .hasMessageContaining("between 1 and 9");
    }
}
