package org.qimg.format;

import java.io.IOException;
import java.nio.file.Path;

/** {@code qemu-img amend} for one format: its amend options and the in-place change they ask for. */
public interface ImageAmender {

    /** The option lines {@code qemu-img amend -f FMT -o help} prints under "Amend options for 'FMT':". */
    String optionsHelp();

    /**
     * Changes the image {@code path} as {@code request}'s options say, in QEMU's order. Options the format
     * does not amend are refused with QEMU's messages before anything is written; a failure in a later step
     * leaves the earlier steps done, as QEMU's does.
     */
    void amend(Path path, AmendRequest request) throws IOException;
}
