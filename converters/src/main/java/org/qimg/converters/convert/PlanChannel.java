package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The first pass of a stream output ({@link StreamedQcow2}): the image's writer runs as for a file, but its guest
 * data is dropped; what it writes of its own metadata is kept ({@link MetadataPages}), so that at the end the
 * channel holds every byte of the file except the data, and the file's length. A data write that lands behind
 * data already written is listed ({@link BehindWrites}): the second pass streams the file in offset order and is
 * past that place when the write comes again, so it makes those bytes ahead of time.
 */
final class PlanChannel extends StreamChannelBase {
    private final MetadataPages pages;
    private final WriteLog log = new WriteLog();
    private final BehindWrites behind = new BehindWrites();
    private long dataEnd;
    private long cutBelowData = -1;

    PlanChannel(MetadataPages pages) {
        this.pages = pages;
    }

    @Override
    void metadata(ByteBuffer src, long position) throws IOException {
        log.add(false, position, src);
        pages.write(position, src);
    }

    @Override
    void data(ByteBuffer src, long position, long guestOffset, int compressedCluster) {
        log.add(true, position, src);
        int n = src.remaining();
        if (position < dataEnd) {
            behind.add(position, src, guestOffset, compressedCluster);
        }
        dataEnd = Math.max(dataEnd, position + n);
    }

    @Override
    void shorten(long length) throws IOException {
        if (length < dataEnd && cutBelowData < 0) {
            cutBelowData = length;
        }
        pages.cut(length);
    }

    WriteLog log() {
        return log;
    }

    /** The data writes behind earlier data, in the order they came. */
    BehindWrites behind() {
        return behind;
    }

    /**
     * Where the writer cut the file below data it had written (-1: never): a stream cannot take back what it
     * has sent, so such an image cannot be streamed. qcow2's writer never does this.
     */
    long cutBelowData() {
        return cutBelowData;
    }
}
