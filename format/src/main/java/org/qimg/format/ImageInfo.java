package org.qimg.format;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code info} shows of one layer. Optional fields are null when the image does not have them.
 * {@code formatSpecific} keeps qemu-img's JSON keys in its order (e.g. compat, compression-type,
 * lazy-refcounts, refcount-bits, corrupt, extended-l2, data-file).
 */
public record ImageInfo(String format, long virtualSize, Integer clusterSize, Boolean dirty,
                        String backingFilename, String fullBackingFilename, String backingFormat,
                        String formatSpecificType, Map<String, Object> formatSpecific) {

    public ImageInfo {
        formatSpecific = formatSpecific == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(formatSpecific));
    }
}
