package org.qimg.converters.ova;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.qimg.converters.compare.CompareResult;
import org.qimg.converters.convert.ConvertOptions;
import org.qimg.converters.convert.ConvertTarget;
import org.qimg.converters.convert.Converter;
import org.qimg.converters.convert.SameFileGuard;
import org.qimg.converters.convert.TargetVerifier;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;

/**
 * {@code convert -O ova}: the options are read and the VMDK target chosen before the sources are opened
 * ({@link #prepare}), as for any target; {@link #convert} then runs the convert pipeline into the OVA's disk
 * ({@link Converter#writeInto}, the {@link DiskWriter} step) and packs it ({@link OvaWriter}).
 */
public final class OvaConvert {
    /** The target format name that routes a convert here. */
    public static final String FORMAT = "ova";
    /** The format of the disk inside. */
    static final String DISK_FORMAT = "vmdk";

    private final OvaSettings settings;
    private final CountingTarget disk;

    /** With the disk's target chosen (tests use another format than {@link #DISK_FORMAT}). */
    OvaConvert(OvaSettings settings, CountingTarget disk) {
        this.settings = settings;
        this.disk = disk;
    }

    /**
     * Reads {@code -o} ({@code ova.*} keys and the VMDK writer's own) and chooses the disk's target:
     * {@code vmdk} with {@code subformat=streamOptimized}. An OVA is always a new file holding a disk of its
     * own: {@code -n} and a backing file ({@code -B}) are refused.
     */
    public static OvaConvert prepare(List<String> options, String backingFile, boolean compressed, boolean noCreate,
                                     Path destination, int sources) throws ImageException {
        if (noCreate) {
            throw new ImageException("-O ova writes a new package: -n (write into an existing image) is not possible");
        }
        if (backingFile != null) {
            throw new ImageException("-O ova: the disk in an OVA stands alone; it cannot have a backing file (-B)");
        }
        OvaSettings s = OvaSettings.parse(options, defaultName(destination), mtime());
        TargetImage vmdk = ConvertTarget.create(DISK_FORMAT, new TargetRequest(s.diskOptions(), null, null,
                compressed), destination.toString(), sources);
        Path disk = destination.resolve(s.memberBase() + OvaSettings.DISK_SUFFIX);
        return new OvaConvert(s, new CountingTarget(vmdk, disk));
    }

    /** The disk's target, for {@link ConvertOptions.Builder#target}. */
    public TargetImage diskTarget() {
        return disk;
    }

    public OvaSettings settings() {
        return settings;
    }

    /**
     * Converts {@code sources} (concatenated) into the OVA {@code destination}, with {@code options} built on
     * {@link #diskTarget()}. With {@code verify} the disk is read back and compared with the sources before
     * it is packed; a mismatch leaves the destination as it was.
     */
    public OvaWriter.Result convert(List<DiskImage> sources, Path destination, ConvertOptions options, boolean verify)
            throws IOException {
        SameFileGuard.check(sources, destination);
        DiskWriter pipeline = (channel, path) -> {
            Converter.writeInto(sources, channel, path, destination, options);
            return disk.facts();
        };
        OvaWriter.DiskCheck compare = !verify ? null : path -> {
            CompareResult c;
            try {
                c = TargetVerifier.verify(sources, path, disk.formatName());
            } catch (IOException e) {
                // e.g. the disk does not open: name DST and its disk, not the scratch file
                throw new ImageException("verify failed: " + destination + " (its disk): " + e.getMessage(), e);
            }
            if (!c.identical()) {
                throw new ImageException("verify failed: " + destination + ": Content mismatch at offset "
                        + c.offset() + "!");
            }
        };
        return OvaWriter.write(destination, settings, pipeline, compare, Converter.files(sources), options.durable());
    }

    /** The destination's file name without {@code .ova}: the VM's name unless {@code ova.name} says otherwise. */
    static String defaultName(Path destination) {
        Path f = destination.getFileName();
        String n = f == null ? "vm" : f.toString();
        if (n.toLowerCase(Locale.ROOT).endsWith(".ova") && n.length() > 4) {
            n = n.substring(0, n.length() - 4);
        }
        return n;
    }

    /**
     * The members' time: {@code SOURCE_DATE_EPOCH} when set (reproducible builds: the same input then gives
     * the same bytes), else now.
     */
    static long mtime() {
        String env = System.getenv("SOURCE_DATE_EPOCH");
        if (env != null && env.strip().matches("[0-9]{1,11}")) {
            return Long.parseLong(env.strip());
        }
        return System.currentTimeMillis() / 1000;
    }
}
