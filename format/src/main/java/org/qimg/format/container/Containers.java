package org.qimg.format.container;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;
import org.qimg.format.UnsupportedFormatException;
import org.qimg.format.probe.ForeignFormat;
import org.qimg.format.probe.ProbeBytes;
import org.qimg.format.probe.Signature;
import org.qimg.format.probe.Signatures;

/**
 * Opens the image inside a container: a compressed file (xz, gzip, bzip2, zstd, lz4), a tar archive (an OVA
 * is one), or a compressed tar. The container is recognised by its magic ({@link Signatures}); the format
 * inside is probed on the unwrapped bytes, as if they were a file. How the inner image is read depends on
 * what it needs and what the container gives:
 * <ul>
 *   <li>raw inside a compressed stream: decoded in order as it is read ({@link StreamImage}), no copy;</li>
 *   <li>raw as a member of a plain tar: read in place, its bytes being one range of the file
 *       ({@link SliceImage}); another format there reads that range through a {@link ContentChannel};</li>
 *   <li>a format that needs random access (qcow2, vmdk) inside an xz file with several blocks or a zstd file
 *       with several frames: read through the container's index ({@link BlockIndex}, {@link BlockCache}), no
 *       copy;</li>
 *   <li>such a format inside any other compressed stream, or a sparse tar member: decompressed once into an
 *       unnamed temporary file ({@link Spill}), with a notice saying why, gone when the image is closed or the
 *       process ends.</li>
 * </ul>
 * A tar member is named as {@code tar:ARCHIVE::MEMBER} ({@link #memberSpec}); an archive that holds one
 * disk (besides OVF descriptors, manifests and certificates) opens that disk without naming it.
 */
public final class Containers {
    /** The prefix of a member name: {@code tar:ARCHIVE::MEMBER}. */
    public static final String MEMBER_PREFIX = "tar:";
    /** Between the archive and the member. */
    public static final String MEMBER_SEPARATOR = "::";

    private static volatile Consumer<String> notices = m -> System.err.println("qimg: " + m);

    private Containers() {
    }

    /** Where one-line notices (a temporary copy being made) go; stderr with a "qimg: " prefix by default. */
    public static void onNotice(Consumer<String> sink) {
        notices = sink;
    }

    static void notice(String message) {
        notices.accept(message);
    }

    /**
     * A tar member named as {@code tar:ARCHIVE::MEMBER}: the archive is everything between the prefix and the
     * first {@code ::}, the member the rest.
     */
    public record MemberSpec(Path archive, String member) {
    }

    /**
     * The member {@code path} names, when it is spelled {@code tar:ARCHIVE::MEMBER} and no file of that name
     * exists (a file really named so is opened as a file; {@code ./tar:...} always names a file).
     */
    public static Optional<MemberSpec> memberSpec(Path path) {
        String s = path.toString();
        if (!s.startsWith(MEMBER_PREFIX) || Files.exists(path)) {
            return Optional.empty();
        }
        int sep = s.indexOf(MEMBER_SEPARATOR, MEMBER_PREFIX.length());
        if (sep <= MEMBER_PREFIX.length() || sep + MEMBER_SEPARATOR.length() >= s.length()) {
            return Optional.empty();
        }
        return Optional.of(new MemberSpec(Path.of(s.substring(MEMBER_PREFIX.length(), sep)),
                s.substring(sep + MEMBER_SEPARATOR.length())));
    }

    /**
     * The container {@code probe} found, or empty when the bytes are no container qimg unwraps.
     */
    private static Optional<Signature> container(ProbeBytes probe) {
        Optional<Signature> s = Signatures.best(probe);
        return s.filter(x -> x.kind() != Signature.Kind.IMAGE);
    }

    /**
     * Opens the image inside {@code path} when it is a container, else returns empty. {@code format}, when
     * given, is the format expected inside.
     */
    public static Optional<DiskImage> openIfContainer(Path path, String format, OpenOptions options)
            throws IOException {
        Optional<Signature> s = container(ProbeBytes.read(path));
        if (s.isEmpty()) {
            return Optional.empty();
        }
        if (s.get().kind() == Signature.Kind.ARCHIVE) {
            return Optional.of(openArchive(path, null, null, format, options));
        }
        return Optional.of(openCompressed(path, codec(path, s.get()), null, format, options));
    }

    /** Opens member {@code spec.member()} of the (plain or compressed) tar archive {@code spec.archive()}. */
    public static DiskImage openMember(MemberSpec spec, String format, OpenOptions options) throws IOException {
        Path archive = spec.archive();
        ImageFormats.requireReadableFile(archive);
        Optional<Signature> s = container(ProbeBytes.read(archive));
        if (s.isPresent() && s.get().kind() == Signature.Kind.ARCHIVE) {
            return openArchive(archive, null, spec.member(), format, options);
        }
        if (s.isPresent()) {
            return openCompressed(archive, codec(archive, s.get()), spec.member(), format, options);
        }
        throw new ImageException("Could not open '" + archive + "': it is not a tar archive, so it has no member '"
                + spec.member() + "'");
    }

    private static Codec codec(Path path, Signature s) throws UnsupportedFormatException {
        return Codec.of(s).orElseThrow(() -> ForeignFormat.detected(s).refusal(path));
    }

    private static DiskImage openCompressed(Path path, Codec codec, String member, String format, OpenOptions options)
            throws IOException {
        Sequential whole = new Sequential(path, codec, null);
        ProbeBytes head = head(whole, path);
        Optional<Signature> s = container(head);
        if (s.isPresent() && s.get().kind() == Signature.Kind.ARCHIVE) {
            return openArchive(path, codec, member, format, options);
        }
        if (member != null) {
            throw new ImageException("Could not open '" + path + "': it is " + codec.label()
                    + "-compressed, but not a tar archive, so it has no member '" + member + "'");
        }
        if (s.isPresent()) {
            throw new UnsupportedFormatException("Could not open '" + path + "': it is " + codec.label()
                    + "-compressed " + s.get().what() + " (compressed twice); decompress the outer layer first");
        }
        return openInner(path, whole, head, format, options, null, List.of(), -1, -1);
    }

    private static DiskImage openArchive(Path path, Codec codec, String member, String format, OpenOptions options)
            throws IOException {
        List<TarListing.Member> members = TarListing.list(path, codec);
        List<ContainerImage.TarMember> shown = new ArrayList<>();
        for (TarListing.Member m : members) {
            shown.add(new ContainerImage.TarMember(m.name(), m.size()));
        }
        TarListing.Member m = member != null ? TarListing.find(path, members, member) : TarListing.onlyDisk(members);
        if (m == null) {
            ContainerImage.Description d = new ContainerImage.Description(codec == null ? null : codec.label(), null,
                    shown, Files.size(path), -1, "none");
            if (!options.guestData()) {
                // info: list the members even when none is the default
                return new ContainerImage(path, new ArchiveOnly(path), d);
            }
            throw new ImageException("Could not open '" + path + "': it is a tar archive with " + members.size()
                    + " members (" + TarListing.names(members) + "); name the one to read as " + MEMBER_PREFIX + path
                    + MEMBER_SEPARATOR + "MEMBER");
        }
        if (options.guestData()) {
            ManifestCheck.verify(path, codec, members, m);
        }
        Sequential seq = new Sequential(path, codec, m.name());
        ProbeBytes head = codec == null && m.dataOffset() >= 0 ? rangeHead(path, m) : head(seq, path);
        return openInner(path, seq, head, format, options, m.name(), shown, m.size(),
                codec == null ? m.dataOffset() : -1);
    }

    /**
     * Opens the image whose first bytes are {@code head}.
     *
     * @param knownSize  the inner file's length when the container says it (tar member), else -1
     * @param dataOffset where the inner file's bytes lie contiguously in {@code path} (plain tar), else -1
     */
    private static DiskImage openInner(Path path, Sequential seq, ProbeBytes head, String format, OpenOptions options,
                                       String member, List<ContainerImage.TarMember> members, long knownSize,
                                       long dataOffset) throws IOException {
        ImageFormat f = ImageFormats.probe(head);
        String codecName = seq.codec() == null ? null : seq.codec().label();
        ContainerImage.Description wrap = new ContainerImage.Description(codecName, member, members,
                Files.size(path), knownSize, "");
        if (f instanceof ForeignFormat foreign) {
            throw new UnsupportedFormatException("Could not open '" + path + "': it holds " + foreign.signature().what()
                    + " (" + foreign.name() + ", " + wrap.wrapping().replaceAll(":$", "") + "), which qimg does not "
                    + "read yet");
        }
        if (format != null && !format.equalsIgnoreCase(f.name())) {
            throw new ImageException("Could not open '" + path + "': Image is not in " + format + " format (it is "
                    + wrap.wrapping() + " " + f.name() + ")");
        }
        if (f.name().equals("raw")) {
            if (dataOffset >= 0) {
                return new ContainerImage(path, SliceImage.open(path, dataOffset, knownSize),
                        describe(wrap, knownSize, "in place"));
            }
            long size = knownSize >= 0 ? knownSize : UncompressedSize.recorded(path, seq.codec()).isPresent()
                    ? UncompressedSize.recorded(path, seq.codec()).getAsLong() : UncompressedSize.count(seq);
            return new ContainerImage(path, new StreamImage(path, seq, size), describe(wrap, size, "stream"));
        }
        OptionalLong size = knownSize >= 0 ? OptionalLong.of(knownSize)
                : seq.codec() == null ? OptionalLong.empty() : UncompressedSize.recorded(path, seq.codec());
        BlockIndex.Found found = dataOffset >= 0 ? null : indexed(path, seq);
        FileChannel bytes;
        String access;
        if (found == null) {
            bytes = ContentChannel.range(path, dataOffset, knownSize);
            access = "in place";
        } else if (found.index() != null) {
            bytes = new ContentChannel(new BlockCache(found.index()), found.index().length());
            access = "index";
            size = OptionalLong.of(found.index().length());
        } else {
            bytes = Spill.write(seq, size, f.name(), found.whyNot());
            access = "temporary copy";
            if (size.isEmpty()) {
                size = OptionalLong.of(bytes.size());
            }
        }
        try {
            DiskImage inner = f.open(path, bytes, options);
            return new ContainerImage(path, inner, describe(wrap, size.getAsLong(), access));
        } catch (DecodeFailure e) {
            bytes.close();
            throw e;
        } catch (ImageException e) {
            bytes.close();
            throw new ImageException(path + " (" + wrap.wrapping() + " " + f.name() + ", decompressed): "
                    + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            bytes.close();
            throw e;
        }
    }

    /**
     * The index of the pieces of {@code seq}'s file that decode on their own (xz blocks, zstd frames), or why
     * there is none: the file must be read from its start then (gzip, bzip2, lz4, one xz block, one zstd frame,
     * a tar member inside a compressed archive).
     */
    private static BlockIndex.Found indexed(Path path, Sequential seq) throws IOException {
        if (seq.codec() == null) {
            return BlockIndex.Found.no("the tar member is stored sparse");
        }
        if (seq.member() != null) {
            return BlockIndex.Found.no("a member of a compressed tar archive is read from the archive's start");
        }
        return switch (seq.codec()) {
            case XZ -> XzBlocks.open(path);
            case ZSTD -> ZstdBlocks.open(path);
            default -> BlockIndex.Found.no(seq.codec().label() + " is decompressed from its start only");
        };
    }

    private static ContainerImage.Description describe(ContainerImage.Description d, long size, String access) {
        return new ContainerImage.Description(d.codec(), d.member(), d.members(), d.compressedSize(), size, access);
    }

    /** The first 512 decoded bytes (zero-padded), probed as a file of that name without its last suffix. */
    private static ProbeBytes head(Sequential seq, Path path) throws IOException {
        byte[] head = new byte[ProbeBytes.SIZE];
        int n;
        try (Sequential.Reader r = seq.open()) {
            n = r.readFully(head, 0, head.length);
        }
        return new ProbeBytes(head, null, n, innerName(path, seq.member()));
    }

    private static ProbeBytes rangeHead(Path path, TarListing.Member m) throws IOException {
        byte[] head = new byte[ProbeBytes.SIZE];
        ByteBuffer dst = ByteBuffer.wrap(head, 0, (int) Math.min(head.length, m.size()));
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            while (dst.hasRemaining() && ch.read(dst, m.dataOffset() + dst.position()) > 0) {
                // read until full or the end of the file
            }
        }
        return new ProbeBytes(head, null, dst.position(), m.name());
    }

    private static String innerName(Path path, String member) {
        if (member != null) {
            return member;
        }
        String n = path.toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
