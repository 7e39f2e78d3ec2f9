package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Starts a cluster-granular image of {@code virtualSize} bytes in an empty, writable channel. */
@FunctionalInterface
public interface ClusterTargetFactory {
    ClusterSink create(FileChannel channel, Path pathForErrors, long virtualSize) throws IOException;
}
