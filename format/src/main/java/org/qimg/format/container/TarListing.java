package org.qimg.format.container;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;

/**
 * The members of a tar archive (an OVA is one): read from the headers of a plain tar file (seeking over the
 * data), or by decompressing a compressed tar once. Only regular files are members here; directories,
 * links and the archive's own metadata entries (pax, GNU long names) are not listed.
 */
final class TarListing {
    /** Files in an OVA that describe the appliance rather than hold a disk. */
    private static final List<String> NOT_DISKS = List.of(".ovf", ".mf", ".cert", ".nvram", ".xml", ".txt");

    /**
     * One member.
     *
     * @param name       its name in the archive, without a leading {@code ./}
     * @param size       its content size in bytes (expanded, for a sparse member)
     * @param dataOffset where its bytes start in a plain tar file, or -1 (compressed tar, or sparse member:
     *                   not one contiguous range)
     */
    record Member(String name, long size, long dataOffset) {
    }

    private TarListing() {
    }

    /** A member's name as qimg shows and matches it. */
    static String name(TarArchiveEntry e) {
        String n = e.getName();
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        return n;
    }

    static List<Member> list(Path file, Codec codec) throws IOException {
        List<Member> out = new ArrayList<>();
        if (codec == null) {
            try (TarFile tar = new TarFile(file)) {
                for (TarArchiveEntry e : tar.getEntries()) {
                    if (e.isFile()) {
                        boolean contiguous = !e.isSparse();
                        out.add(new Member(name(e), e.getRealSize(), contiguous ? e.getDataOffset() : -1));
                    }
                }
            } catch (ImageException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new CorruptImageException(file.toString(), -1, "corrupt tar archive: " + e.getMessage());
            }
            return out;
        }
        try (Decoded d = Decoded.open(file, codec); TarArchiveInputStream tar = new TarArchiveInputStream(d)) {
            TarArchiveEntry e;
            while ((e = Sequential.nextEntry(tar, d)) != null) {
                if (e.isFile()) {
                    out.add(new Member(name(e), e.getRealSize(), -1));
                }
            }
        }
        return out;
    }

    /** The member a user named, or an error listing the members. */
    static Member find(Path file, List<Member> members, String name) throws ImageException {
        for (Member m : members) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        throw new ImageException("Could not open '" + file + "': the archive has no member '" + name
                + "' (members: " + names(members) + ")");
    }

    /** The disk of an archive that holds exactly one file that is not appliance metadata, if so. */
    static Member onlyDisk(List<Member> members) {
        Member only = null;
        for (Member m : members) {
            String lower = m.name().toLowerCase(Locale.ROOT);
            if (NOT_DISKS.stream().anyMatch(lower::endsWith)) {
                continue;
            }
            if (only != null) {
                return null;
            }
            only = m;
        }
        return only;
    }

    static String names(List<Member> members) {
        if (members.isEmpty()) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        for (Member m : members) {
            b.append(b.length() == 0 ? "" : ", ").append(m.name());
        }
        return b.toString();
    }
}
