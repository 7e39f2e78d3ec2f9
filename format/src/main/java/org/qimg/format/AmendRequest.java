package org.qimg.format;

/**
 * What {@code qemu-img amend} asks of a format: the {@code -o} option list as given (several {@code -o} joined
 * with commas, QEMU's syntax: {@code key=value,...}, {@code ,,} for a comma in a value), {@code --force}, and
 * where the work's progress goes.
 *
 * @param options the option list; the format parses and validates it against its amend options
 * @param force   qemu-img's {@code --force} (QEMU uses it only for LUKS keyslot changes)
 * @param status  progress, as QEMU's {@code BlockDriverAmendStatusCB}: {@code offset} of
 *                {@code totalWorkSize} units done (the total may be revised as the work goes on)
 * @param log     what QEMU prints on stderr on the way, before its final error if any
 */
public record AmendRequest(String options, boolean force, Status status, Log log) {

    /** QEMU's messages on the way. */
    public interface Log {
        /** A line printed as it is (the repair of an image left dirty by lazy refcounts, "qcow2: ..."). */
        void line(String text);

        /** An error reported without ending the command ({@code error_report}: the program's name first). */
        void error(String message);
    }

    /** QEMU's amend status callback. */
    @FunctionalInterface
    public interface Status {
        void progress(long offset, long totalWorkSize);
    }

    public AmendRequest {
        if (status == null) {
            status = (offset, total) -> { };
        }
        if (log == null) {
            log = new Log() {
                @Override
                public void line(String text) {
                }

                @Override
                public void error(String message) {
                }
            };
        }
    }
}
