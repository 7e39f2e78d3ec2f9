package org.qimg.format;

/** No internal snapshot has the id or name asked for. */
public class SnapshotNotFoundException extends ImageException {
    private static final long serialVersionUID = 1L;

    public SnapshotNotFoundException(String message) {
        super(message);
    }
}
