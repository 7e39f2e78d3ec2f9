package org.qimg.format;

/**
 * A snapshot table entry whose L1 table cannot be used (QEMU's {@code qcow2_validate_table}): the message is
 * QEMU's reason, e.g. {@code Snapshot L1 table offset invalid}.
 */
public class InvalidSnapshotException extends ImageException {
    private static final long serialVersionUID = 1L;

    public InvalidSnapshotException(String message) {
        super(message);
    }

    /** With qimg's own description of what is wrong as the cause (printed by {@code --debug}). */
    public InvalidSnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
