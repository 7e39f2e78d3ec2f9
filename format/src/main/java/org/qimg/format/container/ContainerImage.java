package org.qimg.format.container;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qimg.format.CompressedPayload;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageInfo;
import org.qimg.format.ImageLayout;
import org.qimg.format.SnapshotInfo;

/**
 * An image found inside a container (a compressed file, a tar member, or both), seen as the container file:
 * {@link #path()} is the container, {@link #info()} says what wraps what ("xz-compressed raw"), and
 * {@link #container()} the facts {@code info} lists. Everything else is the inner image's. Closing it closes
 * the inner image, which closes what it was read from (the index reader, or the unnamed temporary copy).
 */
public final class ContainerImage implements DiskImage {
    private final Path path;
    private final DiskImage inner;
    private final Description description;

    /**
     * What the container is.
     *
     * @param codec            the compression, or null for a plain tar
     * @param member           the tar member read, or null when the container is no archive
     * @param members          all members of the archive (empty when it is no archive)
     * @param compressedSize   the container file's length
     * @param uncompressedSize the decompressed length (of the member, for a tar), -1 when not known
     * @param access           how the inner image is read: "stream", "in place", "index" or "temporary copy"
     */
    public record Description(String codec, String member, List<TarMember> members, long compressedSize,
                              long uncompressedSize, String access) {
        public Description {
            members = List.copyOf(members);
        }

        /** "xz-compressed", "tar member 'disk.raw' of a gzip-compressed archive". */
        public String wrapping() {
            String c = codec == null ? "" : codec + "-compressed";
            if (member == null) {
                return c;
            }
            return "tar member '" + member + "'" + (codec == null ? "" : " of a " + c + " archive") + ":";
        }
    }

    /** A member of an archive, as {@code info} lists it. */
    public record TarMember(String name, long size) {
    }

    ContainerImage(Path path, DiskImage inner, Description description) {
        this.path = path;
        this.inner = inner;
        this.description = description;
    }

    public Description container() {
        return description;
    }

    /** The container facts as {@code info --output=json} shows them, under the key "container". */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", description.codec() == null ? "tar" : description.member() == null ? description.codec()
                : description.codec() + "+tar");
        if (description.member() != null) {
            m.put("member", description.member());
        }
        m.put(description.codec() == null ? "file-size" : "compressed-size", description.compressedSize());
        if (description.uncompressedSize() >= 0) {
            m.put("uncompressed-size", description.uncompressedSize());
        }
        if (!(inner instanceof ArchiveOnly)) {
            m.put("inner-format", inner.formatName());
            m.put("access", description.access());
        }
        if (!description.members().isEmpty()) {
            List<Map<String, Object>> list = new java.util.ArrayList<>();
            for (TarMember t : description.members()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", t.name());
                e.put("size", t.size());
                list.add(e);
            }
            m.put("members", list);
        }
        return m;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String formatName() {
        return inner.formatName();
    }

    @Override
    public long virtualSize() {
        return inner.virtualSize();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        inner.read(offset, dst);
    }

    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        return inner.extentAt(offset, maxLength);
    }

    @Override
    public ImageLayout layout() {
        return inner.layout();
    }

    @Override
    public Optional<CompressedPayload> compressedPayload(long guestOffset) throws IOException {
        return inner.compressedPayload(guestOffset);
    }

    @Override
    public Optional<DiskImage> backing() {
        return inner.backing();
    }

    /** The inner image's facts, with the format named with its wrapping: "xz-compressed raw". */
    @Override
    public ImageInfo info() throws IOException {
        ImageInfo i = inner.info();
        String w = description.wrapping();
        return new ImageInfo(w.isEmpty() ? i.format() : w + " " + i.format(), i.virtualSize(), i.clusterSize(), i.dirty(),
                i.backingFilename(), i.fullBackingFilename(), i.backingFormat(), i.formatSpecificType(),
                i.formatSpecific());
    }

    @Override
    public List<SnapshotInfo> snapshots() {
        return inner.snapshots();
    }

    @Override
    public DiskImage openSnapshot(String idOrName) throws IOException {
        return inner.openSnapshot(idOrName);
    }

    @Override
    public long actualSize() throws IOException {
        return org.qimg.format.raw.HostFiles.allocatedBytes(path);
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
