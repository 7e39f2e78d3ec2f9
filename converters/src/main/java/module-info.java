/**
 * qimg's operations over images, and its library entry point: {@code org.qimg} ({@code Qimg},
 * {@code ConvertSpec}, {@code CheckReport}) and {@code org.qimg.converters} ({@code ProgressListener}) are the
 * API; every other package is internal.
 */
// "requires-automatic": JNA is an automatic module (its jar names itself in its manifest)
@SuppressWarnings("requires-automatic")
module org.qimg.converters {
    requires transitive org.qimg.format;
    requires com.sun.jna;
    requires org.apache.commons.compress;
    requires com.github.luben.zstd_jni;
    requires org.tukaani.xz;
    requires jdk.unsupported;

    exports org.qimg;
    exports org.qimg.converters;
    // JNA reads the libc interfaces and natively registered classes reflectively
    opens org.qimg.converters.convert to com.sun.jna;
}
