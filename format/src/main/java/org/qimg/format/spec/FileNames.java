package org.qimg.format.spec;

import java.util.Set;
import org.qimg.format.ImageException;

/**
 * QEMU's rules for a file name that may begin with a protocol ({@code PROTOCOL:REST}, the colon before any
 * slash: {@code a:b.qcow2} is the protocol {@code a}, {@code ./a:b.qcow2} a file). {@code file:} names a file
 * explicitly; any other protocol is one qimg does not open ("Unknown protocol"), except the names qimg reads
 * itself ({@code json:}, its {@code tar:ARCHIVE::MEMBER}). A relative name combines with an image's directory
 * only without a protocol (QEMU's {@code path_combine}).
 */
public final class FileNames {
    /** The prefix that names a file explicitly. */
    public static final String FILE_PREFIX = "file:";

    /** Protocols QEMU 7.2 opens (network, devices, test drivers) that qimg does not. */
    private static final Set<String> FOREIGN = Set.of("host_device", "host_cdrom", "nbd", "nbd+unix", "nbd+tcp",
            "http", "https", "ftp", "ftps", "ssh", "iscsi", "iser", "rbd", "gluster", "gluster+tcp", "gluster+unix",
            "gluster+rdma", "nfs", "null-co", "null-aio", "blkdebug", "blkverify", "fat", "nvme");

    private FileNames() {
    }

    /** True when {@code name} starts with {@code PROTOCOL:} (QEMU's {@code path_has_protocol}). */
    public static boolean hasProtocol(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == ':') {
                return true;
            }
            if (c == '/') {
                return false;
            }
        }
        return false;
    }

    /** The protocol of a name {@link #hasProtocol} says has one. */
    public static String protocol(String name) {
        return name.substring(0, name.indexOf(':'));
    }

    /**
     * The file a {@code file:} name names: the rest of it, with {@code ./} before it when the rest would itself
     * read as a protocol name ({@code file:a:b} is {@code ./a:b}), as QEMU's file driver takes it.
     */
    public static String afterFilePrefix(String name) throws ImageException {
        String rest = name.substring(FILE_PREFIX.length());
        if (rest.isEmpty()) {
            throw new ImageException("The 'file' block driver requires a file name");
        }
        return hasProtocol(rest) ? "./" + rest : rest;
    }

    /**
     * Refuses a name whose protocol qimg does not open, with QEMU's words for an unknown one; {@code file:}
     * names and names without a protocol pass.
     */
    public static void requireFileProtocol(String name) throws ImageException {
        if (!hasProtocol(name) || name.startsWith(FILE_PREFIX)) {
            return;
        }
        String p = protocol(name);
        if (FOREIGN.contains(p)) {
            throw new ImageException("qimg does not support the '" + p + "' protocol (it opens local files only)");
        }
        throw new ImageException("Unknown protocol '" + p + "'");
    }

    /**
     * The local file {@code name} names for a command that creates or writes it: a plain name as it is, a
     * {@code file:} name without its prefix; any other protocol refused ({@link #requireFileProtocol}).
     */
    public static String localFile(String name) throws ImageException {
        requireFileProtocol(name);
        return name.startsWith(FILE_PREFIX) ? afterFilePrefix(name) : name;
    }

    /**
     * {@code name} (a backing file name) as seen from the image {@code base} (QEMU's {@code path_combine}): an
     * absolute name or one with a protocol as it is, a relative one after the directory part of {@code base}
     * (without any protocol prefix of {@code base}).
     */
    public static String combine(String base, String name) {
        if (name.startsWith("/") || hasProtocol(name)) {
            return name;
        }
        int start = hasProtocol(base) ? base.indexOf(':') + 1 : 0;
        int slash = base.lastIndexOf('/') + 1;
        int end = Math.max(start, slash);
        return base.substring(0, end) + name;
    }
}
