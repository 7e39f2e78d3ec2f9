package org.qimg.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.snapshot.SnapshotCommands;
import org.qimg.format.ImageFormat;
import org.qimg.format.SnapshotNotFoundException;
import org.qimg.format.UnsupportedFeatureException;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qimg snapshot [-q] [-U] [-l | -a NAME | -c NAME | -d NAME] FILE}, as qemu-img snapshot: internal
 * snapshots of a qcow2 image (the format is always probed). The options are read as qemu-img's getopt string
 * {@code ":la:c:d:hqU"} reads them, so that a second action is "Cannot mix" and not a parse error.
 */
final class SnapshotCommand implements Callable<Integer> {
    private static final String TRY = "Try 'qimg --help' for more information\n";
    private CommandSpec spec;

    static CommandSpec spec() {
        SnapshotCommand c = new SnapshotCommand();
        c.spec = Specs.getoptCommand("snapshot", c, "List, create, apply or delete internal snapshots (qcow2),"
                        + " as qemu-img snapshot: -l | -a NAME | -c NAME | -d NAME, -q quiet, -U force share.",
                "qemu-img snapshot's options and the image FILE:",
                                "-l: list the snapshots",
                                "-c NAME: create a snapshot NAME of the image as it is",
                                "-a NAME: apply snapshot NAME (revert the image to it)",
                                "-d NAME: delete snapshot NAME",
                                "-q: quiet; -U: open with force-share (-l only)");
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        List<String> args = Specs.argsAfterCommand(spec);
        char action = 0;
        String name = null;
        boolean quiet = false;
        boolean force = false;
        boolean imageOpts = false;
        List<String> files = new ArrayList<>();
        boolean options = true;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!options || !a.startsWith("-") || a.equals("-")) {
                files.add(a);
                continue;
            }
            if (a.equals("--")) {
                options = false;
                continue;
            }
            if (a.startsWith("--")) {
                switch (a) {
                    case "--force-share" -> force = true;
                    case "--image-opts" -> imageOpts = true;
                    default -> throw new ExitCodeException(1, "unrecognized option '" + a + "'", TRY);
                }
                continue;
            }
            for (int k = 1; k < a.length(); k++) {
                char o = a.charAt(k);
                switch (o) {
                    case 'q' -> quiet = true;
                    case 'U' -> force = true;
                    case 'l', 'a', 'c', 'd' -> {
                        if (action != 0) {
                            throw new ExitCodeException(1, "Cannot mix '-l', '-a', '-c', '-d'", TRY);
                        }
                        action = o;
                        if (o != 'l') {
                            if (k + 1 < a.length()) {
                                name = a.substring(k + 1);
                            } else if (i + 1 < args.size()) {
                                name = args.get(++i);
                            } else {
                                throw new ExitCodeException(1, "missing argument for option '-" + o + "'", TRY);
                            }
                            k = a.length();
                        }
                    }
                    default -> throw new ExitCodeException(1, "invalid option -- '" + o + "'", TRY);
                }
            }
        }
        if (files.size() != 1) {
            throw new ExitCodeException(1, "Expecting one image file name", TRY);
        }
        String fileName = files.get(0);
        String opened = ImageOptions.imageName(imageOpts, false, fileName);
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        if (action == 'l') {
            out.print(SnapshotCommands.list(Path.of(opened), force));
            out.flush();
            return 0;
        }
        var located = org.qimg.format.spec.SpecOpener.locate(opened, null);
        Path file = located.file();
        final char a = action;
        // QEMU's warning names the file the protocol opened: file:NAME as NAME (./ before a colon)
        String warned = org.qimg.format.spec.FileNames.hasProtocol(fileName) && fileName.startsWith("file:")
                ? file.toString() : fileName;
        ImageFormat f = SnapshotCommands.writableFormat(file, located.format(), probed -> {
            if (probed.equals("raw")) {
                err.print(ResizeCommand.rawProbeWarning(warned));
                if (a == 'a') {
                    // QEMU opens the file again to try the snapshot on it, and warns again
                    err.print(ResizeCommand.rawProbeWarning(warned));
                }
                err.flush();
            }
        });
        try {
            switch (action) {
                case 'c' -> SnapshotCommands.create(f, file, name);
                case 'a' -> f.applySnapshot(file, name);
                case 'd' -> f.deleteSnapshot(file, name);
                default -> {
                    return 0;
                }
            }
        } catch (org.qimg.format.ImageLimitException e) {
            if (action == 'c') {
                // QEMU's errno: -EFBIG for a cluster no refcount block covers, -EAGAIN for one whose block is
                // missing inside the refcount table, -EINVAL for a refcount overflow
                String m = e.getMessage();
                throw new ExitCodeException(1, "Could not create snapshot '" + name + "': "
                        + (m.equals("File too large") ? "-27 (File too large)"
                        : m.equals("Resource temporarily unavailable") ? "-11 (Resource temporarily unavailable)"
                        : "-22 (Invalid argument)"));
            }
            throw e;
        } catch (org.qimg.format.InvalidSnapshotException e) {
            if (action == 'a') {
                // qcow2_validate_table: -EFBIG for a table too large, -EINVAL for a bad offset
                throw new ExitCodeException(1, e.getMessage() + "\nCould not apply snapshot '" + name
                        + "': Failed to load snapshot: "
                        + (e.getMessage().endsWith("too large") ? "File too large" : "Invalid argument"));
            }
            throw new ExitCodeException(1, "Could not delete snapshot '" + name + "': " + e.getMessage());
        } catch (SnapshotNotFoundException | UnsupportedFeatureException e) {
            String m = e.getMessage();
            switch (action) {
                case 'c' -> throw new ExitCodeException(1, "Could not create snapshot '" + name + "': "
                        + (m.equals("Operation not supported") ? "-95 (Operation not supported)" : m));
                case 'a' -> throw new ExitCodeException(1, "Could not apply snapshot '" + name + "': "
                        + (m.equals("Operation not supported") ? "Block driver does not support snapshots" : m));
                default -> throw new ExitCodeException(1, "Could not delete snapshot '" + name + "': "
                        + (m.equals("Operation not supported") ? "snapshot not found" : m));
            }
        }
        return 0;
    }
}
