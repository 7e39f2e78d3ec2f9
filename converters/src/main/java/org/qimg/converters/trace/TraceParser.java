package org.qimg.converters.trace;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads guest reads from a QEMU trace log or a plain range list.
 *
 * <p>Accepted lines (one file may mix them):
 * <ul>
 *   <li>{@code virtio_blk_handle_read vdev P req P sector S nsectors N} &rarr; bytes [S*512, (S+N)*512);</li>
 *   <li>{@code blk_co_preadv blk P bs P offset O bytes B flags 0xF} &rarr; bytes [O, O+B);</li>
 *   <li>both optionally prefixed by {@code PID@SECONDS.MICROS:} as QEMU's "log" trace backend writes
 *       them when timestamps are on (qemu-system), without a prefix otherwise (qemu-io);</li>
 *   <li>{@code OFFSET LENGTH}: two byte counts in {@link Sizes} syntax;</li>
 *   <li>blank lines and {@code #} comments.</li>
 * </ul>
 * Any other line that does not start with a digit or sign (other trace events, QEMU's own messages) is
 * skipped and counted. A line of a recognised kind that does not parse is an error naming the line.
 *
 * <p>When a file has {@code virtio_blk_handle_read} events, its {@code blk_co_preadv} events are counted
 * but not used: they are the same guest requests seen one layer lower (plus QEMU's own probe reads).
 * Reads of length zero carry no data and are dropped.
 */
public final class TraceParser {
    /** Longest line accepted; QEMU's trace lines are under 200 bytes. */
    public static final int MAX_LINE = 4096;
    /** Default cap on the number of reads kept, so a huge file cannot exhaust memory. */
    public static final int DEFAULT_MAX_RANGES = 16 << 20;

    static final String VIRTIO = "virtio_blk_handle_read";
    static final String BLOCK = "blk_co_preadv";

    private static final Pattern PREFIX = Pattern.compile("^\\d+@\\d+\\.\\d+:");
    private static final Pattern VIRTIO_ARGS =
            Pattern.compile("vdev \\S+ req \\S+ sector (\\d+) nsectors (\\d+)");
    private static final Pattern BLOCK_ARGS =
            Pattern.compile("blk \\S+ bs \\S+ offset (-?\\d+) bytes (-?\\d+) flags 0x[0-9a-fA-F]+");

    private final int maxRanges;

    public TraceParser() {
        this(DEFAULT_MAX_RANGES);
    }

    public TraceParser(int maxRanges) {
        if (maxRanges <= 0) {
            throw new IllegalArgumentException("maxRanges must be positive: " + maxRanges);
        }
        this.maxRanges = maxRanges;
    }

    public Trace parse(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(file.toString(), in);
        }
    }

    /** Parses a stream; {@code source} names it in error messages. */
    public Trace parse(String source, InputStream stream) throws IOException {
        List<GuestRange> virtio = new ArrayList<>();
        List<GuestRange> block = new ArrayList<>();
        List<GuestRange> plain = new ArrayList<>();
        long virtioEvents = 0;
        long blockEvents = 0;
        long plainLines = 0;
        long ignored = 0;
        LineReader lines = new LineReader(new BufferedInputStream(stream, 1 << 16), source);
        String raw;
        while ((raw = lines.next()) != null) {
            int no = lines.number();
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (line.isEmpty()) {
                continue;
            }
            Matcher prefix = PREFIX.matcher(line);
            boolean prefixed = prefix.find();
            String body = prefixed ? line.substring(prefix.end()) : line;
            char first = body.isEmpty() ? ' ' : body.charAt(0);
            if (!prefixed && (Character.isDigit(first) || first == '-' || first == '+')) {
                plainLines++;
                add(plain, plainRange(source, no, line), source, no, virtio.size() + block.size());
                continue;
            }
            int space = body.indexOf(' ');
            String name = space < 0 ? body : body.substring(0, space);
            String args = space < 0 ? "" : body.substring(space + 1).strip();
            if (name.equals(VIRTIO)) {
                virtioEvents++;
                add(virtio, virtioRange(source, no, args), source, no, block.size() + plain.size());
            } else if (name.equals(BLOCK)) {
                blockEvents++;
                add(block, blockRange(source, no, args), source, no, virtio.size() + plain.size());
            } else {
                ignored++;
            }
        }
        List<GuestRange> ranges = new ArrayList<>(virtioEvents > 0 ? virtio : block);
        ranges.addAll(plain);
        if (virtioEvents + blockEvents + plainLines == 0) {
            throw new TraceFormatException(source, "no reads found: expected " + VIRTIO + " or " + BLOCK
                    + " trace events or 'OFFSET LENGTH' lines (" + ignored + " other lines skipped)");
        }
        return new Trace(source, ranges, virtioEvents, blockEvents, plainLines, ignored);
    }

    private void add(List<GuestRange> list, GuestRange r, String source, int line, int others)
            throws TraceFormatException {
        if (r == null) {
            return;
        }
        if (list.size() + others >= maxRanges) {
            throw new TraceFormatException(source, line, "more than " + maxRanges + " reads; split the trace");
        }
        list.add(r);
    }

    private static GuestRange virtioRange(String source, int no, String args) throws TraceFormatException {
        Matcher m = VIRTIO_ARGS.matcher(args);
        if (!m.matches()) {
            throw new TraceFormatException(source, no, "malformed " + VIRTIO + " event: expected 'vdev P req P"
                    + " sector S nsectors N', found '" + args + "'");
        }
        long sector = number(source, no, m.group(1), "sector");
        long count = number(source, no, m.group(2), "nsectors");
        if (sector > Long.MAX_VALUE / 512 || count > Long.MAX_VALUE / 512
                || count * 512 > Long.MAX_VALUE - sector * 512) {
            throw new TraceFormatException(source, no, "sector " + sector + " nsectors " + count
                    + " lies beyond the largest byte offset a 64-bit count can hold");
        }
        return count == 0 ? null : new GuestRange(sector * 512, count * 512, no);
    }

    private static GuestRange blockRange(String source, int no, String args) throws TraceFormatException {
        Matcher m = BLOCK_ARGS.matcher(args);
        if (!m.matches()) {
            throw new TraceFormatException(source, no, "malformed " + BLOCK + " event: expected 'blk P bs P"
                    + " offset O bytes B flags 0xF', found '" + args + "'");
        }
        long offset = number(source, no, m.group(1), "offset");
        long bytes = number(source, no, m.group(2), "bytes");
        return checked(source, no, offset, bytes);
    }

    private static GuestRange plainRange(String source, int no, String line) throws TraceFormatException {
        String[] parts = line.split("[\\s,]+");
        if (parts.length != 2) {
            throw new TraceFormatException(source, no, "expected 'OFFSET LENGTH', found '" + line + "'");
        }
        long offset;
        long length;
        try {
            offset = Sizes.parse(parts[0]);
            length = Sizes.parse(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new TraceFormatException(source, no, e.getMessage());
        }
        if (length == 0) {
            throw new TraceFormatException(source, no, "length must be positive, found '" + parts[1] + "'");
        }
        return checked(source, no, offset, length);
    }

    private static GuestRange checked(String source, int no, long offset, long length)
            throws TraceFormatException {
        if (offset < 0 || length < 0) {
            throw new TraceFormatException(source, no, "negative offset or length: " + offset + " " + length);
        }
        if (length > Long.MAX_VALUE - offset) {
            throw new TraceFormatException(source, no, "offset " + offset + " + length " + length
                    + " overflows a 64-bit byte offset");
        }
        return length == 0 ? null : new GuestRange(offset, length, no);
    }

    private static long number(String source, int no, String digits, String field) throws TraceFormatException {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new TraceFormatException(source, no, field + " '" + digits + "' does not fit in 64 bits");
        }
    }

    /** Lines of at most {@link #MAX_LINE} bytes, '\n' or "\r\n" terminated, read as ISO-8859-1. */
    private static final class LineReader {
        private final InputStream in;
        private final String source;
        private final byte[] buf = new byte[MAX_LINE];
        private int number;

        LineReader(InputStream in, String source) {
            this.in = in;
            this.source = source;
        }

        String next() throws IOException {
            int n = 0;
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (n == buf.length) {
                    throw new TraceFormatException(source, number + 1, "line longer than " + MAX_LINE + " bytes");
                }
                buf[n++] = (byte) b;
            }
            if (b < 0 && n == 0) {
                return null;
            }
            number++;
            if (n > 0 && buf[n - 1] == '\r') {
                n--;
            }
            return new String(buf, 0, n, StandardCharsets.ISO_8859_1);
        }

        int number() {
            return number;
        }
    }
}
