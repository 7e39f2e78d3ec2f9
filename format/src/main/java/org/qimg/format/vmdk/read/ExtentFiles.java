package org.qimg.format.vmdk.read;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qimg.format.FileOpenException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageLimitException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;

/**
 * The files a VMDK's extents live in, resolved, confined and opened once each (several extents may name the
 * same file). Names are relative to the directory of the image the user opened, as QEMU resolves them.
 *
 * <p>Unlike qemu-img, a descriptor may not make qimg read a file outside its own directory (an absolute name,
 * a name with {@code ..}, or a symbolic link that leads out): such an extent is refused unless the user allows
 * it with the environment variable {@value #ALLOW_ENV}{@code =1} (or the system property
 * {@value #ALLOW_PROPERTY}{@code =true}).
 */
final class ExtentFiles implements Closeable {
    static final String ALLOW_ENV = "QIMG_VMDK_ALLOW_EXTENTS_OUTSIDE";
    static final String ALLOW_PROPERTY = "qimg.vmdk.allowExtentsOutside";
    /** Distinct extent files one image may open (file descriptors are finite). */
    static final int MAX_FILES = 4096;

    /** One opened file. */
    record Opened(Path path, FileChannel channel, long length) {
    }

    private final Path image;
    private final LockPerms perms;
    private final Map<Path, Opened> byRealPath = new LinkedHashMap<>();
    /** Names already opened: a descriptor may name one file thousands of times. */
    private final Map<String, Opened> byName = new java.util.HashMap<>();
    private final List<ImageLock> locks = new ArrayList<>();

    ExtentFiles(Path image, LockPerms perms) {
        this.image = image;
        this.perms = perms;
    }

    static boolean outsideAllowed() {
        return "1".equals(System.getenv(ALLOW_ENV)) || "true".equalsIgnoreCase(System.getenv(ALLOW_ENV))
                || Boolean.getBoolean(ALLOW_PROPERTY);
    }

    /** Registers the image file itself (already opened and locked by the caller). */
    void addImage(Path real, FileChannel ch, long length) {
        byRealPath.put(real, new Opened(image, ch, length));
    }

    /** The path QEMU opens for extent file name {@code name}: as given when absolute, else beside the image. */
    Path resolve(String name) throws ImageException {
        Path n;
        try {
            n = Path.of(name);
        } catch (InvalidPathException e) {
            throw new ImageException(image + ": extent file name '" + name + "' is not a valid path: " + e.getReason());
        }
        Path dir = image.getParent();
        return n.isAbsolute() || dir == null ? n : dir.resolve(n);
    }

    /** Opens (or finds already open) the extent file named {@code name} in the descriptor. */
    Opened open(String name) throws IOException {
        Opened known = byName.get(name);
        if (known != null) {
            return known;
        }
        Opened o = openNamed(name);
        byName.put(name, o);
        return o;
    }

    private Opened openNamed(String name) throws IOException {
        Path p = resolve(name);
        ImageFormats.requireReadableFile(p);
        Path real = p.toRealPath();
        if (!outsideAllowed()) {
            confine(name, p, real);
        }
        Opened o = byRealPath.get(real);
        if (o != null) {
            return new Opened(p, o.channel(), o.length());
        }
        if (byRealPath.size() >= MAX_FILES) {
            throw new ImageLimitException(image + ": the descriptor names more than " + MAX_FILES + " extent files");
        }
        String kind = ImageFormats.fileKind(p);
        if (kind != null && !kind.equals("regular file") && !kind.equals("block device")) {
            throw new FileOpenException(p.toString(), "is a " + kind + ", not a regular file or block device");
        }
        ImageLock lock = ImageLock.acquire(p, perms);
        try {
            FileChannel ch = NamedChannel.open(p, StandardOpenOption.READ);
            Opened fresh = new Opened(p, ch, ch.size());
            byRealPath.put(real, fresh);
            locks.add(lock);
            return fresh;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private void confine(String name, Path p, Path real) throws IOException {
        Path dir = image.toAbsolutePath().getParent();
        Path realDir = dir.toRealPath();
        boolean lexical = !Path.of(name).isAbsolute() && dir.resolve(name).normalize().startsWith(dir.normalize());
        if (!lexical || !real.startsWith(realDir)) {
            throw new ImageException(image + ": extent file '" + name + "' (" + real + ") is outside the directory"
                    + " of the descriptor (" + realDir + "); set " + ALLOW_ENV + "=1 to allow it");
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        boolean skipFirst = true;
        for (Opened o : byRealPath.values()) {
            if (skipFirst) { // the image file is the caller's
                skipFirst = false;
                continue;
            }
            try {
                o.channel().close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        locks.forEach(ImageLock::close);
        if (first != null) {
            throw first;
        }
    }
}
