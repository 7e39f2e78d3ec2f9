package org.qimg.converters.convert;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.qimg.format.ImageException;
import org.qimg.format.io.NamedChannel;

/**
 * A convert destination that exists and is a device, FIFO or socket. qemu-img writes into such a node in
 * place (its host_device driver) and never creates a file in its stead; neither does qimg, so the node is
 * never replaced, truncated or resized. What qemu-img 7.2 does, and so qimg:
 * <ul>
 * <li>block device: written in place from byte 0; bytes past the image stay as they were. A raw target
 *     larger than the device is refused before anything is written ("Cannot grow device files"); a qcow2
 *     target is not checked up front (it needs only the clusters it allocates) and fails with "No space left
 *     on device" when it runs past the end;</li>
 * <li>character device (size 0, like {@code /dev/null}): a raw target fails with "Cannot grow device files"
 *     unless the source is empty; a qcow2 target fails with "Image is not in qcow2 format" (qemu-img writes
 *     its header and cannot read it back; qimg refuses without writing);</li>
 * <li>FIFO: "Could not resize file: Invalid argument" (qemu-img truncates the new file); never opened, so
 *     qimg cannot block on a FIFO without a reader;</li>
 * <li>socket: "Could not create '...': No such device or address".</li>
 * </ul>
 * Every refusal of a convert reads {@code DST: error while converting FORMAT: REASON}, of a create
 * {@code FILE: REASON}, as qemu-img's.
 */
public final class DeviceOutput implements Closeable {
    private final FileChannel channel;
    private final DestinationKind kind;
    private final DeviceZeroes zeroes;

    private DeviceOutput(FileChannel channel, DestinationKind kind, DeviceZeroes zeroes) {
        this.channel = channel;
        this.kind = kind;
        this.zeroes = zeroes;
    }

    /**
     * Opens the existing {@code destination} of kind {@code kind} for a new {@code format} target of
     * {@code size} guest bytes ({@code raw} when the target is raw), or refuses as qemu-img does.
     */
    static DeviceOutput open(Path destination, DestinationKind kind, String format, long size) throws IOException {
        return open(destination, kind, format, size, destination + ": error while converting " + format + ": ");
    }

    /**
     * For {@code create}: when {@code file} exists and is a device, FIFO or socket, opens it in place for a new
     * {@code format} image of {@code size} bytes or refuses as qemu-img create does ({@code FILE: REASON});
     * null when {@code file} is absent or a regular file (or a directory), which the caller creates as usual.
     * Nothing is opened before the node's kind is known, so a FIFO never blocks.
     */
    public static DeviceOutput openForCreate(Path file, String format, long size) throws IOException {
        DestinationKind kind = DestinationKind.of(file);
        return kind.special() ? open(file, kind, format, size, file + ": ") : null;
    }

    /** Whether {@code file} exists as a device, FIFO or socket. */
    public static boolean isSpecial(Path file) {
        return DestinationKind.of(file).special();
    }

    private static DeviceOutput open(Path destination, DestinationKind kind, String format, long size,
                                     String refusal) throws IOException {
        boolean raw = "raw".equals(format);
        switch (kind) {
            case FIFO -> throw new ImageException(refusal + "Could not resize file: Invalid argument");
            case SOCKET -> throw new ImageException(refusal + "Could not create '" + destination
                    + "': No such device or address");
            case CHAR_DEVICE -> {
                if (!raw) {
                    throw new ImageException(refusal + "Image is not in " + format + " format");
                }
            }
            case BLOCK_DEVICE -> {
            }
            default -> throw new IllegalArgumentException("not a device: " + kind);
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(destination, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new ImageException(refusal + "Could not create '" + destination + "': " + reason(e), e);
        }
        FileChannel named = NamedChannel.wrapDevice(ch, destination);
        try {
            long have = named.size();
            if (raw && have < size) {
                throw new ImageException(refusal + "Cannot grow device files");
            }
            return new DeviceOutput(named, kind,
                    kind == DestinationKind.BLOCK_DEVICE ? DeviceZeroes.open(destination) : null);
        } catch (IOException | RuntimeException e) {
            named.close();
            throw e;
        }
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** Whether the node is a block device (the rest that is opened is a character device). */
    public boolean blockDevice() {
        return kind == DestinationKind.BLOCK_DEVICE;
    }

    /** Zeroes whole pages of a block device without writing them, or null. */
    DeviceZeroes zeroes() {
        return zeroes;
    }

    /** The device, with errors naming it; its size is fixed ({@code truncate} does nothing). */
    public FileChannel channel() {
        return channel;
    }

    /**
     * Flushes what was written to a block device when {@code durable}; a character device has nothing to flush
     * (fsync on {@code /dev/null} fails with EINVAL).
     */
    public void finish(boolean durable) throws IOException {
        if (durable && kind == DestinationKind.BLOCK_DEVICE) {
            channel.force(true);
        }
    }

    @Override
    public void close() throws IOException {
        if (zeroes != null) {
            zeroes.close();
        }
        channel.close();
    }
}
