package org.qimg.converters.ova;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import org.qimg.converters.convert.SafeOutput;
import org.qimg.format.ova.OvaManifest;
import org.qimg.format.ImageException;
import org.qimg.format.io.NamedChannel;

/**
 * Writes an OVA: the disk once into a scratch file beside the destination, then the archive, {@code .ovf},
 * {@code .mf}, disk, into the destination's own temporary file, which replaces the destination only when
 * complete. Both files are {@link SafeOutput}s: the scratch file is never published (where the file system
 * allows it has no name at all, so not even SIGKILL leaves it behind), and a failure or interruption leaves
 * neither a partial OVA nor a scratch file.
 *
 * <p>The manifest precedes the disk in the archive, so the disk's digest must be known before its member is
 * written. It is computed while the disk is written ({@link HashingChannel}) when the writer appends, as a
 * streamOptimized writer does; otherwise the scratch file is read once more to digest it. The disk is then
 * read once to copy it into the archive. Cost: the disk's compressed bytes are written twice (scratch and
 * archive) and read once (twice if the writer did not append); the scratch file needs the disk's size in
 * free space beside the destination, on top of the OVA itself.
 */
public final class OvaWriter {
    private OvaWriter() {
    }

    /**
     * What was written: the member names in archive order, the disk file's size, the disk facts, and whether
     * the disk was digested while written (false: read once more to digest it, or no manifest).
     */
    public record Result(List<String> members, long diskFileSize, DiskFacts disk, boolean digestedWhileWritten) {
    }

    /**
     * Writes the OVA {@code destination}. {@code sources} are the files whose data goes in (the new file is
     * made no more readable than they are); {@code durable} fsyncs the OVA before it replaces the destination.
     */
    public static Result write(Path destination, OvaSettings s, DiskWriter disk, List<Path> sources, boolean durable)
            throws IOException {
        return write(destination, s, disk, null, sources, durable);
    }

    /** A check of the complete disk before it is packed (e.g. {@code --verify}), given a path that opens it. */
    @FunctionalInterface
    public interface DiskCheck {
        void check(Path disk) throws IOException;
    }

    /**
     * As {@link #write(Path, OvaSettings, DiskWriter, List, boolean)}, with {@code check} (if not null) run on
     * the complete disk before anything is packed. The disk then gets a hidden name beside the destination
     * for the check (a reader that resolves names, as a VMDK's does, needs one; {@code convert --verify} does
     * the same), which goes when the OVA is done or has failed.
     */
    public static Result write(Path destination, OvaSettings s, DiskWriter disk, DiskCheck check, List<Path> sources,
                               boolean durable) throws IOException {
        String base = s.memberBase();
        String ovfName = base + ".ovf";
        String mfName = base + ".mf";
        String diskName = base + OvaSettings.DISK_SUFFIX;
        boolean manifest = s.digest() != OvaSettings.Digest.NONE;
        try (SafeOutput scratch = SafeOutput.create(destination, false, sources);
             FileChannel named = check == null ? null : FileChannel.open(scratch.tempFile(), StandardOpenOption.READ)) {
            FileChannel reader = check == null ? scratch.channel() : named;
            DiskFacts facts;
            long size;
            byte[] diskDigest = null;
            boolean onTheWay = false;
            try {
                HashingChannel hc = new HashingChannel(scratch.channel(),
                        manifest ? OvaManifest.newDigest(s.digest().manifestName) : null);
                facts = disk.write(hc, scratch.tempFile());
                size = scratch.channel().size();
                if (check != null) {
                    check.check(scratch.seal()); // the scratch channel closes; 'named' reads on
                }
                if (manifest) {
                    Optional<byte[]> d = hc.digest(size);
                    onTheWay = d.isPresent();
                    diskDigest = onTheWay ? d.get() : digest(reader, size, s.digest());
                }
            } catch (IOException e) {
                throw scratch.failed(e);
            }
            if (facts.populatedSize() > facts.capacity()) {
                throw new IllegalStateException("populated size " + facts.populatedSize() + " exceeds capacity "
                        + facts.capacity());
            }
            byte[] ovf = OvfDescriptor.of(s, diskName, size, facts).getBytes(StandardCharsets.UTF_8);
            List<String> members = manifest ? List.of(ovfName, mfName, diskName) : List.of(ovfName, diskName);
            try (SafeOutput out = SafeOutput.create(destination, durable, sources)) {
                try (OvaArchive a = OvaArchive.over(NamedChannel.wrap(out.channel(), destination), s.mtime())) {
                    a.add(ovfName, ovf);
                    if (manifest) {
                        MessageDigest md = OvaManifest.newDigest(s.digest().manifestName);
                        String mf = OvaManifest.line(s.digest().manifestName, ovfName, md.digest(ovf))
                                + OvaManifest.line(s.digest().manifestName, diskName, diskDigest);
                        a.add(mfName, mf.getBytes(StandardCharsets.UTF_8));
                    }
                    a.add(diskName, reader, size, destination + " (its disk)");
                    a.finish();
                } catch (IOException e) {
                    throw out.failed(e);
                }
                out.commit();
            }
            return new Result(members, size, facts, onTheWay);
        }
    }

    /** Reads the first {@code size} bytes of {@code file} once and digests them. */
    private static byte[] digest(FileChannel file, long size, OvaSettings.Digest algorithm) throws IOException {
        MessageDigest md = OvaManifest.newDigest(algorithm.manifestName);
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long at = 0; at < size; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), size - at));
            int n = file.read(buf, at);
            if (n < 0) {
                throw new ImageException("the OVA's disk ended at byte " + at + " of " + size + " while digested");
            }
            md.update(buf.flip());
            at += n;
        }
        return md.digest();
    }
}
