/**
 * qimg's image formats. {@code org.qimg.format} is the API (the {@code ImageFormat} SPI, {@code DiskImage},
 * {@code Extent}, the exceptions), with the two packages its signatures use: {@code codec} (compression types
 * and cluster codecs) and {@code io} (lock permissions of an open); every other package is internal and open
 * only to qimg's own converters.
 */
// "module": the friend module is compiled after this one, so javac cannot see it yet when it reads these
// exports; "requires-automatic": JNA is an automatic module (its jar names itself in its manifest)
@SuppressWarnings({"module", "requires-automatic"})
module org.qimg.format {
    requires com.sun.jna;
    requires com.github.luben.zstd_jni;
    requires org.apache.commons.compress;
    requires org.tukaani.xz;
    requires com.fasterxml.jackson.databind;

    exports org.qimg.format;
    exports org.qimg.format.codec;
    exports org.qimg.format.io;
    exports org.qimg.format.container to org.qimg.converters;
    exports org.qimg.format.probe to org.qimg.converters;
    exports org.qimg.format.ova to org.qimg.converters;
    exports org.qimg.format.qcow2 to org.qimg.converters;
    exports org.qimg.format.qcow2.check to org.qimg.converters;
    exports org.qimg.format.qcow2.layout to org.qimg.converters;
    exports org.qimg.format.qcow2.read to org.qimg.converters;
    exports org.qimg.format.qcow2.update to org.qimg.converters;
    exports org.qimg.format.qcow2.write to org.qimg.converters;
    exports org.qimg.format.raw to org.qimg.converters;
    exports org.qimg.format.spec to org.qimg.converters;
    // JNA reads the libc interfaces and natively registered classes reflectively
    opens org.qimg.format.io to com.sun.jna;
    opens org.qimg.format.raw to com.sun.jna;
    opens org.qimg.format.codec to com.sun.jna;
}
