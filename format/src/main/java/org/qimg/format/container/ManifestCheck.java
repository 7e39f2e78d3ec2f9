package org.qimg.format.container;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.qimg.format.ImageException;
import org.qimg.format.ova.OvaManifest;

/**
 * An archive's manifest (an OVA's {@code .mf} member, DSP0243 5.1) checked against the member about to be read:
 * when the archive holds exactly one manifest and it lists the member, the member's bytes are digested with
 * the manifest's algorithm, in one extra sequential read, before the image is opened; a mismatch is an error
 * naming the archive, the member and both digests. An archive without a manifest, or a manifest that does not
 * list the member, is read as it is.
 */
final class ManifestCheck {
    private static final int BUFFER = 1 << 20;

    private ManifestCheck() {
    }

    static void verify(Path archive, Codec codec, List<TarListing.Member> members, TarListing.Member disk)
            throws IOException {
        TarListing.Member mf = null;
        for (TarListing.Member m : members) {
            if (m.name().toLowerCase(Locale.ROOT).endsWith(".mf")) {
                if (mf != null) {
                    throw new ImageException("Could not open '" + archive + "': it holds two manifests ('" + mf.name()
                            + "' and '" + m.name() + "')");
                }
                mf = m;
            }
        }
        if (mf == null) {
            return;
        }
        String where = "'" + archive + "': " + mf.name();
        if (mf.size() > OvaManifest.MAX_BYTES) {
            throw new ImageException(where + ": manifest of " + mf.size() + " bytes is larger than the limit of "
                    + OvaManifest.MAX_BYTES);
        }
        OvaManifest manifest = OvaManifest.parse(readAll(archive, codec, mf), where);
        Optional<OvaManifest.Entry> entry = manifest.entry(disk.name());
        if (entry.isEmpty()) {
            return;
        }
        MessageDigest digest = entry.get().newDigest();
        byte[] buf = new byte[BUFFER];
        try (Sequential.Reader r = new Sequential(archive, codec, disk.name()).open()) {
            int n;
            while ((n = r.readFully(buf, 0, buf.length)) > 0) {
                digest.update(buf, 0, n);
            }
        }
        manifest.check(disk.name(), digest.digest(), "'" + archive + "'");
    }

    private static byte[] readAll(Path archive, Codec codec, TarListing.Member mf) throws IOException {
        byte[] text = new byte[(int) mf.size()];
        int got;
        try (Sequential.Reader r = new Sequential(archive, codec, mf.name()).open()) {
            got = r.readFully(text, 0, text.length);
        }
        if (got != text.length) {
            throw new ImageException("'" + archive + "': " + mf.name() + ": the member ends after " + got + " of its "
                    + text.length + " bytes");
        }
        return text;
    }
}
