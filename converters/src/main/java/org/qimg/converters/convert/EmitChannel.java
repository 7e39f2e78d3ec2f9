package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.qimg.format.ImageException;

/**
 * The second pass of a stream output ({@link StreamedQcow2}): the image's writer runs again over the same source
 * and makes the same writes; this channel sends the file to {@code out} strictly in offset order. Each data
 * write is sent when it comes, preceded by the bytes between the end of the previous one and its start, which
 * the first pass knows ({@link MetadataPages}: the metadata, zeros elsewhere) but for the data writes it found
 * behind earlier data ({@link BehindWrites}): those are made again from the source ({@link Recompute}) when
 * the stream reaches them, checked against the first pass's CRC, and only checked again when the writer comes
 * to them. {@link #finish} sends the rest, up to the file's length, and checks that the writer did what the
 * first pass planned.
 */
final class EmitChannel extends StreamChannelBase {
    private final MetadataPages pages;
    private final PlanChannel plan;
    private final BehindWrites behind;
    private final Recompute recompute;
    private final MetadataPages.Sink out;
    private final Path source;
    private final WriteLog log = new WriteLog();
    /** The next behind write expected from the writer (in write order), and the next to make (by position). */
    private int nextArriving;
    private int nextMade;
    private long emitted;

    /** @param source names the source in the error that says it changed between the passes */
    EmitChannel(MetadataPages pages, PlanChannel plan, Recompute recompute, MetadataPages.Sink out, Path source) {
        this.pages = pages;
        this.plan = plan;
        this.behind = plan.behind();
        this.recompute = recompute;
        this.out = out;
        this.source = source;
    }

    @Override
    void metadata(ByteBuffer src, long position) {
        log.add(false, position, src);
    }

    @Override
    void data(ByteBuffer src, long position, long guestOffset, int compressedCluster) throws IOException {
        log.add(true, position, src);
        int n = src.remaining();
        if (position < emitted) {
            int i = nextArriving < behind.count() ? nextArriving++ : -1;
            if (i < 0 || behind.position(i) != position || behind.length(i) != n
                    || behind.crc(i) != BehindWrites.crcOf(src)) {
                throw changed("a data write at byte " + position + " came behind the stream's position " + emitted
                        + " unplanned");
            }
            return;
        }
        sendUpTo(position);
        out.accept(src);
        emitted = position + n;
    }

    @Override
    void shorten(long length) {
        // the first pass saw the same cut and kept the file's final length
    }

    /** Sends the bytes after the last data write, up to the file's end, and checks the two passes agree. */
    void finish() throws IOException {
        if (!log.sameAs(plan.log()) || size != plan.size() || nextArriving != behind.count()) {
            throw changed("the second pass wrote other clusters than the first (" + log.writes() + " writes, "
                    + plan.log().writes() + " planned)");
        }
        sendUpTo(size);
    }

    /** Sends [emitted, to): what the first pass kept, with the behind writes in it made again. */
    private void sendUpTo(long to) throws IOException {
        while (nextMade < behind.count() && behind.position(behind.byPosition(nextMade)) < to) {
            int i = behind.byPosition(nextMade++);
            ByteBuffer b = recompute.bytes(behind.guestOffset(i), behind.length(i), behind.compressedCluster(i));
            if (b.remaining() != behind.length(i) || BehindWrites.crcOf(b) != behind.crc(i)) {
                throw changed("the data for guest offset " + behind.guestOffset(i) + " differs");
            }
            pages.write(behind.position(i), b);
        }
        pages.emit(emitted, to, out);
        emitted = to;
    }

    private ImageException changed(String detail) {
        return new ImageException("'" + source + "' changed while it was read twice for the output to standard "
                + "output: " + detail + "; the image written is not valid");
    }
}
