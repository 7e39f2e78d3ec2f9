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
 * @param log     the lines QEMU prints on stderr on the way (the repair of an image left dirty by lazy
 *                refcounts, which QEMU's open makes)
 */
public record AmendRequest(String options, boolean force, Status status,
                           java.util.function.Consumer<String> log) {

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
            log = line -> { };
        }
    }
}
