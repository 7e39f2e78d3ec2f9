package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.qimg.format.AmendRequest;
import org.qimg.format.ImageException;
import org.qimg.format.ResizeRequest;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * {@code qemu-img amend} of a qcow2 image, step by step in the order of QEMU 7.2's {@code qcow2_amend_options}:
 * the options are read and checked; an upgrade to v3 comes first (with the snapshot table written anew when a
 * v2 writer left entries without the v3 extra data); then a change of the refcount width
 * ({@link RefcountRewriter}); the data file options; the header written anew ({@link HeaderRewriter}, always,
 * as QEMU's); a backing file change (refused, as QEMU 7.2 refuses it); lazy refcounts; the size (through
 * {@link Qcow2Resizer}); and a downgrade to v2 last ({@link Qcow2Downgrade}). A step that fails leaves the
 * steps before it done, as QEMU's.
 *
 * <p>Persistent bitmaps are marked in use before the first step and stored anew after the last (or after a
 * failed step), as QEMU's open and close do ({@link Qcow2Bitmaps#holdForAmend}). Refused before anything is
 * written, in qimg's words: images marked corrupt or dirty.
 */
public final class Qcow2Amender {
    private final Path path;
    private final AmendRequest request;

    private Qcow2Amender(Path path, AmendRequest request) {
        this.path = path;
        this.request = request;
    }

    /** The option lines of {@code qemu-img amend -f qcow2 -o help}. */
    public static String help() {
        return Qcow2AmendOptions.help();
    }

    /**
     * Amends {@code path} as {@code request} says. The caller has repaired an image left dirty by lazy
     * refcounts (QEMU's open does that first).
     */
    public static void amend(Path path, AmendRequest request) throws IOException {
        new Qcow2Amender(path, request).run();
    }

    private void run() throws IOException {
        Qcow2Header h;
        try (AmendSession s = AmendSession.open(path)) {
            h = s.header();
            refuse(h);
        }
        // qemu-img's open marks the bitmaps in use; its close stores them, after the amend worked or failed
        Qcow2Bitmaps.Held held = h.version() >= 3 && h.extensions().bitmaps() != null
                ? Qcow2Bitmaps.holdForAmend(path) : null;
        try {
            amend(h);
        } catch (IOException | RuntimeException e) {
            if (held != null) {
                try {
                    Qcow2Bitmaps.resumeAfterAmend(path, held);
                } catch (IOException | RuntimeException x) {
                    e.addSuppressed(x);
                }
            }
            throw e;
        }
        if (held != null) {
            Qcow2Bitmaps.resumeAfterAmend(path, held);
        }
    }

    private void amend(Qcow2Header h) throws IOException {
        Qcow2AmendOptions o = Qcow2AmendOptions.parse(request.options());
        int oldVersion = h.version();
        int newVersion = oldVersion;
        long newSize = 0;
        boolean lazy = h.lazyRefcounts();
        boolean dataFileRaw = h.dataFileRaw();
        int refcountBits = h.refcountBits();
        String encrypt = o.encryptOption();
        if (encrypt != null) {
            // qimg opens no encrypted image, so encryption is never present here
            throw new ImageException("Can't amend encryption options - encryption not present");
        }
        if (o.has("size")) {
            newSize = o.number("size");
        }
        if (o.has("compat")) {
            String c = o.string("compat");
            switch (c) {
                case "0.10", "v2" -> newVersion = 2;
                case "1.1", "v3" -> newVersion = 3;
                default -> throw new ImageException("Unknown compatibility level " + c);
            }
        }
        if (o.has("data_file") && !h.hasExternalDataFile()) {
            throw new ImageException("data-file can only be set for images that use an external data file");
        }
        if (o.has("data_file_raw")) {
            dataFileRaw = o.bool("data_file_raw");
            if (dataFileRaw && !h.dataFileRaw()) {
                throw new ImageException("data-file-raw cannot be set on existing images");
            }
        }
        if (o.has("lazy_refcounts")) {
            lazy = o.bool("lazy_refcounts");
        }
        if (o.has("refcount_bits")) {
            refcountBits = (int) o.number("refcount_bits"); // QEMU keeps the number in an int
            if (refcountBits <= 0 || refcountBits > 64 || Integer.bitCount(refcountBits) != 1) {
                throw new ImageException("Refcount width must be a power of two and may not exceed 64 bits");
            }
        }
        int operations = (newVersion != oldVersion ? 1 : 0) + (refcountBits != h.refcountBits() ? 1 : 0);
        AmendProgress progress = new AmendProgress(request.status(), operations);

        if (newVersion > oldVersion) {
            upgrade(progress);
        }
        try (AmendSession s = AmendSession.open(path)) {
            HeaderRewriter.Fields f = s.fields();
            if (refcountBits != h.refcountBits()) {
                if (newVersion < 3 && refcountBits != 16) {
                    throw new ImageException("Refcount widths other than 16 bits require compatibility level 1.1 or"
                            + " above (use compat=1.1 or greater)");
                }
                progress.begin(AmendProgress.Operation.CHANGING_REFCOUNT_ORDER);
                new RefcountRewriter(s.channel(), path, s.header(), Integer.numberOfTrailingZeros(refcountBits),
                        progress).rewrite(f);
                f = s.fields();
            }
            f.autoclear = dataFileRaw ? f.autoclear | HeaderLayout.AUTOCLEAR_DATA_FILE_RAW
                    : f.autoclear & ~HeaderLayout.AUTOCLEAR_DATA_FILE_RAW;
            if (o.has("data_file")) {
                f.dataFile = o.string("data_file").isEmpty() ? null : o.string("data_file");
            }
            HeaderRewriter.write(s.channel(), path, f);
            if (o.has("backing_file") || o.has("backing_fmt")) {
                Qcow2Header now = s.header();
                if (!Objects.equals(o.string("backing_file"), now.backingFile())
                        || !Objects.equals(o.string("backing_fmt"), now.extensions().backingFormat())) {
                    changeBacking(o.string("backing_file"), o.string("backing_fmt"));
                }
            }
            if (lazy != h.lazyRefcounts()) {
                if (lazy && newVersion < 3) {
                    throw new ImageException("Lazy refcounts only supported with compatibility level 1.1 and above"
                            + " (use compat=1.1 or greater)");
                }
                f = s.fields();
                f.compatible = lazy ? f.compatible | HeaderLayout.COMPAT_LAZY_REFCOUNTS
                        : f.compatible & ~HeaderLayout.COMPAT_LAZY_REFCOUNTS;
                HeaderRewriter.write(s.channel(), path, f);
            }
        }
        if (newSize != 0) {
            Qcow2Resizer.resize(path, new ResizeRequest(newSize, ResizeRequest.Preallocation.OFF, false, false));
        }
        if (newVersion < oldVersion) {
            progress.begin(AmendProgress.Operation.DOWNGRADING);
            try (AmendSession s = AmendSession.open(path)) {
                new Qcow2Downgrade(s, path, progress, request.log()).run();
            }
        }
    }

    /**
     * THE BACKING FILE HOOK: {@code backing_file}/{@code backing_fmt} that differ from the image's. QEMU 7.2
     * refuses the change with this error and hint, word for word (the iotests compare them), and so does qimg;
     * this is the one place to call a format's backing file setter should qimg ever go beyond qemu-img here.
     */
    private void changeBacking(String file, String format) throws ImageException {
        throw new ImageException("Cannot amend the backing file\nYou can use 'qemu-img rebase' instead.");
    }

    /** QEMU's {@code qcow2_upgrade} to v3. */
    private void upgrade(AmendProgress progress) throws IOException {
        progress.begin(AmendProgress.Operation.UPGRADING);
        progress.status(0, 2);
        boolean rewrite;
        try (AmendSession s = AmendSession.open(path)) {
            rewrite = s.snapshotsNeedV3Extra();
        }
        if (rewrite) {
            try (Qcow2Snapshots snapshots = Qcow2Snapshots.open(path)) {
                snapshots.rewriteTable();
            }
        }
        progress.status(1, 2);
        try (AmendSession s = AmendSession.open(path)) {
            HeaderRewriter.Fields f = s.fields();
            f.version = 3;
            HeaderRewriter.write(s.channel(), path, f);
        }
        progress.status(2, 2);
    }

    private void refuse(Qcow2Header h) throws UnsupportedFeatureException {
        String f = path.toString();
        if (h.isCorrupt()) {
            throw new UnsupportedFeatureException(f + ": image is marked corrupt; run qemu-img check -r all first");
        }
        if (h.isDirty()) {
            throw new UnsupportedFeatureException(f + ": image is marked dirty; run qemu-img check -r all first");
        }
    }
}
