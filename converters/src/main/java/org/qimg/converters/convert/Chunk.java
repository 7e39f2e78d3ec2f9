package org.qimg.converters.convert;

/** A piece of the guest disk the pipeline handles as one unit, in guest order (seq). */
record Chunk(long seq, long start, long length, ConcatSource.Kind kind) {
    long end() {
        return start + length;
    }
}
