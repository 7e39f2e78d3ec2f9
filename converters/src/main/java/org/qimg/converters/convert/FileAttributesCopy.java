package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.qimg.converters.convert.HostFileOps.NativeError;

/**
 * What an existing destination file carries besides its bytes, captured before it is replaced: owner,
 * group, permission bits (with set-id and sticky bits), hard-link count, and every extended attribute this
 * process can read (which for root includes {@code trusted.*}; ACLs are the {@code system.posix_acl_*}
 * attributes, SELinux labels {@code security.selinux}).
 *
 * <p>Applied to the replacement in two steps. {@link #applyOwnerAndXattrs} runs right after the
 * temporary file is created, before any data is written, so that a replacement that could not keep them is
 * refused before work is done; it leaves the file at a private mode. The destination's {@link #mode} is set
 * just before the rename. Order matters: {@code fchown} clears set-id bits, and setting an ACL rewrites the group bits,
 * so the final {@code fchmod} comes last (it also sets the ACL mask back to the destination's).
 */
final class FileAttributesCopy {
    final int uid;
    final int gid;
    final int mode;
    final int links;
    private final Map<String, byte[]> xattrs;

    private FileAttributesCopy(int uid, int gid, int mode, int links, Map<String, byte[]> xattrs) {
        this.uid = uid;
        this.gid = gid;
        this.mode = mode;
        this.links = links;
        this.xattrs = xattrs;
    }

    /** Reads the attributes of the regular file {@code file} (symbolic links followed). */
    static FileAttributesCopy of(Path file) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(file, "unix:uid,gid,mode,nlink");
        } catch (UnsupportedOperationException e) {
            return new FileAttributesCopy(-1, -1, -1, 1, Map.of()); // not a POSIX file system: nothing to keep
        }
        Map<String, byte[]> x = new LinkedHashMap<>();
        if (HostFileOps.available()) {
            String p = file.toString();
            try {
                for (String name : HostFileOps.listXattrs(p)) {
                    try {
                        x.put(name, HostFileOps.getXattr(p, name));
                    } catch (NativeError e) {
                        if (e.errno() != HostFileOps.ENOENT && e.errno() != HostFileOps.ENODATA) {
                            throw new IOException("cannot read its extended attribute '" + name + "': "
                                    + e.getMessage());
                        }
                    }
                }
            } catch (NativeError e) {
                throw new IOException("cannot list its extended attributes: " + e.getMessage());
            }
        }
        return new FileAttributesCopy((Integer) a.get("uid"), (Integer) a.get("gid"),
                (Integer) a.get("mode") & 07777, (Integer) a.get("nlink"), x);
    }

    /**
     * Gives {@code temp} this owner, group and exactly these extended attributes (others the new file got
     * at creation, e.g. an ACL inherited from the directory, are removed where allowed), then sets
     * {@code privateMode}. The message of the exception says which step failed. Without a descriptor
     * (not Linux) only owner, group and mode are copied.
     */
    void applyOwnerAndXattrs(TempFile temp, int privateMode) throws IOException {
        if (uid < 0) {
            return; // no POSIX owners here
        }
        try {
            temp.setOwner(uid, gid);
        } catch (IOException e) {
            throw new IOException("cannot give the new file its owner and group (uid " + uid + ", gid " + gid
                    + "): " + e.getMessage());
        }
        if (temp.hasDescriptor()) {
            copyXattrs(temp.fd());
        }
        temp.setMode(privateMode);
    }

    private void copyXattrs(int fd) throws IOException {
        try {
            for (String name : HostFileOps.listXattrs(fd)) {
                if (!xattrs.containsKey(name)) {
                    try {
                        HostFileOps.removeXattr(fd, name);
                    } catch (NativeError e) {
                        // e.g. a label the system insists on: the destination's own value is set below if it had one
                    }
                }
            }
        } catch (NativeError e) {
            // the new file's own attributes cannot be listed: set the destination's anyway
        }
        for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
            if (Arrays.equals(HostFileOps.getXattrOrNull(fd, x.getKey()), x.getValue())) {
                continue; // e.g. the SELinux label the new file got anyway: relabelling may need a permission
            }
            try {
                HostFileOps.setXattr(fd, x.getKey(), x.getValue());
            } catch (NativeError e) {
                throw new IOException("cannot give the new file its extended attribute '" + x.getKey() + "': "
                        + e.getMessage());
            }
        }
    }
}
