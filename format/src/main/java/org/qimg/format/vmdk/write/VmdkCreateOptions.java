package org.qimg.format.vmdk.write;

import static org.qimg.format.vmdk.layout.DescriptorLayout.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qimg.format.ImageException;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.UnsupportedFeatureException;

/**
 * The options of a new VMDK image as qemu-img 7.2 names and checks them ({@code block/vmdk.c}'s create
 * options plus the file protocol's). {@link Builder#set} refuses what QEMU's option parser refuses (unknown
 * names, booleans that are not on/off); {@link Builder#build()} refuses what QEMU's create function refuses,
 * with its messages and in its order.
 *
 * @param subformat   one of {@link org.qimg.format.vmdk.layout.DescriptorLayout#CREATABLE}
 * @param adapterType the adapter type as given, or null when not given (the subformat decides the default)
 * @param hwVersion   the {@code ddb.virtualHWVersion} value to write
 * @param toolsVersion the {@code ddb.toolsVersion} value to write
 * @param sizeGiven   whether the size came with the options (create) rather than from the source (convert)
 */
public record VmdkCreateOptions(long size, String subformat, String adapterType, String hwVersion,
                                String toolsVersion, boolean zeroedGrain, String backingFile, boolean sizeGiven) {

    /** QEMU's {@code toolsversion} default (INT32_MAX: "unknown", also what VMware's vmdk-convert writes). */
    public static final String DEFAULT_TOOLS_VERSION = "2147483647";
    public static final String DEFAULT_HW_VERSION = "4";

    public boolean flat() {
        return subformat.equals(MONOLITHIC_FLAT) || subformat.equals(TWO_GB_FLAT);
    }

    /** twoGbMaxExtentSparse or twoGbMaxExtentFlat: extents of 2 GiB. */
    public boolean split() {
        return subformat.equals(TWO_GB_SPARSE) || subformat.equals(TWO_GB_FLAT);
    }

    public boolean stream() {
        return subformat.equals(STREAM_OPTIMIZED);
    }

    /** The virtual size in sectors (the size rounded up to 512 bytes, as QEMU does). */
    public long capacitySectors() {
        return (size + 511) / 512;
    }

    public VmdkCreateOptions withSize(long bytes) {
        return new VmdkCreateOptions(bytes, subformat, adapterType, hwVersion, toolsVersion, zeroedGrain, backingFile,
                sizeGiven);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options as given, in the order given; parsed values kept for {@link #build()}. */
    public static final class Builder {
        private final Map<String, String> given = new LinkedHashMap<>();
        private long size;
        private boolean compat6;
        private boolean zeroedGrain;

        /** Applies an {@code -o} text ({@code k=v,k=v}). */
        public Builder apply(String optionText) throws ImageException {
            for (Map.Entry<String, String> e : QemuOptionSyntax.splitOptions(optionText).entrySet()) {
                set(e.getKey(), e.getValue());
            }
            return this;
        }

        /** Sets one option by its qemu-img name; unknown names and malformed booleans and sizes are refused. */
        public Builder set(String key, String value) throws ImageException {
            switch (key) {
                case "size" -> {
                    size = QemuOptionSyntax.sizeValue(key, value);
                    value = Long.toString(size);
                }
                case "compat6" -> compat6 = QemuOptionSyntax.parseBool(key, value);
                case "zeroed_grain" -> zeroedGrain = QemuOptionSyntax.parseBool(key, value);
                case "extent_size_hint" -> value = Long.toString(QemuOptionSyntax.sizeValue(key, value));
                case "nocow" -> QemuOptionSyntax.parseBool(key, value);
                case "adapter_type", "backing_file", "backing_fmt", "hwversion", "toolsversion", "subformat",
                     "preallocation" -> {
                    // strings: judged by build(), after qemu-img has printed them
                }
                default -> throw new ImageException("Invalid parameter '" + key + "'");
            }
            given.put(key, value);
            return this;
        }

        public boolean isSet(String key) {
            return given.containsKey(key);
        }

        public String given(String key) {
            return given.get(key);
        }

        /**
         * The option list qemu-img prints after {@code Formatting 'FILE', fmt=vmdk }: size, then the vmdk
         * options in QEMU's list order (compat6 and hwversion always, with their defaults), then the file
         * protocol's.
         */
        public String describe() {
            List<String> parts = new ArrayList<>();
            parts.add("size=" + given.getOrDefault("size", Long.toString(size)));
            for (String k : List.of("adapter_type", "backing_file", "backing_fmt", "compat6", "hwversion",
                    "toolsversion", "subformat", "zeroed_grain", "preallocation", "nocow", "extent_size_hint")) {
                String v = given.get(k);
                if (v == null && k.equals("compat6")) {
                    v = "off";
                } else if (v == null && k.equals("hwversion")) {
                    v = "undefined";
                }
                if (v != null) {
                    parts.add(k + "=" + v);
                }
            }
            return String.join(" ", parts);
        }

        /** Checks the options as QEMU's vmdk create does, in its order. */
        public VmdkCreateOptions build() throws ImageException {
            String backingFmt = given.get("backing_fmt");
            if (backingFmt != null && !backingFmt.equals("vmdk")) {
                throw new ImageException("backing_file must be a vmdk image");
            }
            String adapter = given.get("adapter_type");
            if (adapter != null && !ADAPTER_TYPES.contains(adapter)) {
                throw new ImageException("invalid parameter value: " + adapter);
            }
            String subformat = given.getOrDefault("subformat", MONOLITHIC_SPARSE);
            if (!CREATABLE.contains(subformat)) {
                throw new ImageException("invalid parameter value: " + subformat);
            }
            String hw = given.get("hwversion");
            if ("undefined".equals(hw)) {
                hw = null;
            }
            if (compat6) {
                if (hw != null) {
                    throw new ImageException("compat6 cannot be enabled with hwversion set");
                }
                hw = "6";
            }
            if (hw == null) {
                hw = DEFAULT_HW_VERSION;
            }
            String tools = given.getOrDefault("toolsversion", DEFAULT_TOOLS_VERSION);
            boolean flat = subformat.equals(MONOLITHIC_FLAT) || subformat.equals(TWO_GB_FLAT);
            String backing = given.get("backing_file");
            if (flat && backing != null) {
                throw new ImageException("Flat image can't have backing file");
            }
            if (flat && zeroedGrain) {
                throw new ImageException("Flat image can't enable zeroed grain");
            }
            if (backing != null) {
                throw new UnsupportedFeatureException("qimg does not write vmdk images with a backing file");
            }
            return new VmdkCreateOptions(size, subformat, adapter, hw, tools, zeroedGrain, backing,
                    given.containsKey("size"));
        }
    }
}
