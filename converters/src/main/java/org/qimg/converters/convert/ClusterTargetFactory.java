package org.qimg.converters.convert;

import org.qimg.format.ClusterSink;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Starts a cluster-granular image of {@code virtualSize} bytes in an empty, writable channel; with
 * {@code -n} ({@link ConvertOptions.Builder#noCreate}) the channel holds the existing image instead and
 * {@code virtualSize} is the source size the factory opens it in place for.
 */
@FunctionalInterface
public interface ClusterTargetFactory {
    ClusterSink create(FileChannel channel, Path pathForErrors, long virtualSize) throws IOException;
}
