package org.qimg.converters.ova;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.qimg.format.ImageException;
import org.qimg.format.QemuOptionSyntax;

/**
 * What an OVA describes besides its disk: the virtual machine's name and hardware, the descriptor's OVF
 * version, the manifest's digest and the archive members' time. Immutable; {@link #parse} reads the
 * {@code ova.*} keys of {@code -o} and leaves every other key to the VMDK writer ({@link #diskOptions()}).
 *
 * <p>Defaults follow what VMware's own packagers (open-vmdk's {@code mkova}/{@code ova-compose}) and cloud
 * image builders write, chosen so that the appliance boots on vSphere, Workstation and VirtualBox alike: 2
 * vCPUs, 2048 MiB, BIOS firmware, an LSI Logic SCSI controller, one vmxnet3 NIC on "VM Network", guest
 * {@code other3xLinux64Guest} (CIM id 100), hardware version 13 (ESXi 6.5 and later: the first that takes
 * SHA-256 manifests), OVF 1.0, SHA-256.
 */
public record OvaSettings(String name, int cpus, long memoryMiB, Firmware firmware, Controller controller,
                          String network, Nic nic, String osType, int osId, int hwVersion, OvfVersion ovfVersion,
                          Digest digest, long mtime, List<String> diskOptions) {

    /** Boot firmware, as VMware's {@code firmware} setting spells it. */
    public enum Firmware { BIOS, EFI }

    /** The disk's controller: the rasd ResourceType and ResourceSubType that VMware and VirtualBox know. */
    public enum Controller {
        LSILOGIC("lsilogic", 6, "lsilogic"), LSILOGICSAS("lsilogicsas", 6, "lsilogicsas"),
        PVSCSI("pvscsi", 6, "VirtualSCSI"), BUSLOGIC("buslogic", 6, "buslogic"), IDE("ide", 5, null);

        final String option;
        final int resourceType;
        final String subType;

        Controller(String option, int resourceType, String subType) {
            this.option = option;
            this.resourceType = resourceType;
            this.subType = subType;
        }
    }

    /** The network adapter (rasd ResourceSubType). */
    public enum Nic {
        VMXNET3("vmxnet3", "VmxNet3"), E1000("e1000", "E1000"), E1000E("e1000e", "E1000e");

        final String option;
        final String subType;

        Nic(String option, String subType) {
            this.option = option;
            this.subType = subType;
        }
    }

    /** The descriptor's OVF version: the envelope's namespace. */
    public enum OvfVersion {
        V1("1.0", "http://schemas.dmtf.org/ovf/envelope/1"), V2("2.0", "http://schemas.dmtf.org/ovf/envelope/2");

        final String text;
        final String namespace;

        OvfVersion(String text, String namespace) {
            this.text = text;
            this.namespace = namespace;
        }
    }

    /** The manifest's digest, as the manifest names it, or NONE for no manifest. */
    public enum Digest {
        SHA1("SHA1"), SHA256("SHA256"), SHA512("SHA512"), NONE(null);

        final String manifestName;

        Digest(String manifestName) {
            this.manifestName = manifestName;
        }
    }

    public static final int DEFAULT_CPUS = 2;
    public static final long DEFAULT_MEMORY_MIB = 2048;
    /** vSphere 8's limits. */
    static final int MAX_CPUS = 768;
    static final long MAX_MEMORY_MIB = 24L << 20;
    /**
     * The longest member name written: a ustar name field holds 100 bytes, but Commons Compress (like many
     * readers that expect a terminating NUL) takes at most 99.
     */
    static final int MAX_MEMBER_NAME = 99;
    static final String DISK_SUFFIX = "-disk1.vmdk";

    private static final List<String> KEYS = List.of("ova.name", "ova.cpus", "ova.memory", "ova.firmware",
            "ova.controller", "ova.network", "ova.nic", "ova.os-type", "ova.os-id", "ova.hw-version",
            "ova.ovf-version", "ova.manifest");

    public OvaSettings {
        diskOptions = List.copyOf(diskOptions);
    }

    /**
     * Reads {@code -o} strings (each {@code key=value,...}, commas doubled inside values): the {@code ova.*}
     * keys here, the rest kept for the VMDK writer with {@code subformat=streamOptimized} added (another
     * subformat is refused). {@code defaultName} (the destination's file name without {@code .ova}) names the
     * VM when {@code ova.name} is not given; {@code mtime} is the members' time in seconds since the epoch.
     */
    public static OvaSettings parse(List<String> options, String defaultName, long mtime) throws ImageException {
        Map<String, String> ova = new LinkedHashMap<>();
        Map<String, String> disk = new LinkedHashMap<>();
        for (String o : options) {
            for (Map.Entry<String, String> e : QemuOptionSyntax.splitOptions(o).entrySet()) {
                String key = e.getKey();
                if (key.startsWith("ova.")) {
                    if (!KEYS.contains(key)) {
                        throw new ImageException("Invalid parameter '" + key + "' for -O ova (known: "
                                + String.join(", ", KEYS) + ")");
                    }
                    ova.put(key, e.getValue());
                } else {
                    disk.remove(key);
                    disk.put(key, e.getValue());
                }
            }
        }
        String sub = disk.get("subformat");
        if (sub != null && !sub.equalsIgnoreCase("streamOptimized")) {
            throw new ImageException("-O ova: the disk of an OVA is a streamOptimized VMDK, not subformat=" + sub);
        }
        disk.put("subformat", "streamOptimized");
        List<String> diskOptions = new ArrayList<>();
        disk.forEach((k, v) -> diskOptions.add(k + "=" + v.replace(",", ",,")));

        String name = ova.getOrDefault("ova.name", defaultName);
        if (name.isBlank() || !xmlText(name)) {
            throw new ImageException("ova.name: expected a name without control characters (XML 1.0 text), not '"
                    + name + "'");
        }
        int cpus = (int) number("ova.cpus", ova.get("ova.cpus"), DEFAULT_CPUS, 1, MAX_CPUS);
        long memory = memory(ova.get("ova.memory"));
        Firmware firmware = choice("ova.firmware", ova.get("ova.firmware"), Firmware.BIOS, Firmware.values(),
                f -> f.name().toLowerCase(Locale.ROOT));
        Controller controller = choice("ova.controller", ova.get("ova.controller"), Controller.LSILOGIC,
                Controller.values(), c -> c.option);
        String network = ova.getOrDefault("ova.network", "VM Network");
        if (network.isBlank() || !xmlText(network)) {
            throw new ImageException("ova.network: expected a network name or 'none', not '" + network + "'");
        }
        Nic nic = choice("ova.nic", ova.get("ova.nic"), Nic.VMXNET3, Nic.values(), n -> n.option);
        String osType = ova.getOrDefault("ova.os-type", "other3xLinux64Guest");
        if (!osType.matches("[A-Za-z][A-Za-z0-9_-]{0,63}")) {
            throw new ImageException("ova.os-type: expected a VMware guest id such as other3xLinux64Guest or"
                    + " windows9_64Guest, not '" + osType + "'");
        }
        // CIM_OperatingSystem.OSType: 100 is what VMware pairs with its 64-bit Linux ids; 1 is "Other"
        int osId = (int) number("ova.os-id", ova.get("ova.os-id"), ova.containsKey("ova.os-type") ? 1 : 100, 0,
                65535);
        int hw = (int) number("ova.hw-version", ova.get("ova.hw-version"), 13, 4, 99);
        OvfVersion version = choice("ova.ovf-version", ova.get("ova.ovf-version"), OvfVersion.V1,
                OvfVersion.values(), v -> v.text);
        Digest digest = choice("ova.manifest", ova.get("ova.manifest"), Digest.SHA256, Digest.values(),
                d -> d.name().toLowerCase(Locale.ROOT));
        return new OvaSettings(name, cpus, memory, firmware, controller, "none".equals(network) ? null : network,
                nic, osType, osId, hw, version, digest, mtime, diskOptions);
    }

    /**
     * The base of the members' names: the VM name with every character other than letters, digits, '.',
     * '_' and '-' replaced by '_' (the names are also the descriptor's relative URIs), cut so that the
     * longest member name fits a ustar header.
     */
    public String memberBase() {
        StringBuilder b = new StringBuilder();
        name.codePoints().forEach(c -> b.append(c < 0x80 && (Character.isLetterOrDigit(c) || c == '.' || c == '_'
                || c == '-') ? (char) c : '_'));
        String s = b.toString();
        if (s.startsWith(".") || s.startsWith("-")) {
            s = "_" + s.substring(1);
        }
        int max = MAX_MEMBER_NAME - DISK_SUFFIX.length();
        return s.length() > max ? s.substring(0, max) : s;
    }

    /** Text that XML 1.0 can carry (no control characters, no unpaired surrogates, no U+FFFE/U+FFFF). */
    private static boolean xmlText(String s) {
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff) {
                return false;
            }
            i += Character.charCount(c);
        }
        return true;
    }

    private static long number(String key, String text, long dflt, long min, long max) throws ImageException {
        if (text == null) {
            return dflt;
        }
        try {
            long v = Long.parseLong(text.strip());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ImageException(key + ": expected a whole number from " + min + " to " + max + ", not '" + text
                + "'");
    }

    /** MiB as a plain number, or a size with a suffix (1G, 1536M) that is a whole number of MiB, multiple of 4. */
    private static long memory(String text) throws ImageException {
        if (text == null) {
            return DEFAULT_MEMORY_MIB;
        }
        String t = text.strip();
        long mib;
        if (t.matches("[0-9]{1,12}")) {
            mib = Long.parseLong(t);
        } else {
            long bytes = QemuOptionSyntax.parseSize(t);
            mib = bytes < 0 || bytes % (1 << 20) != 0 ? -1 : bytes >> 20;
        }
        if (mib < 4 || mib > MAX_MEMORY_MIB || mib % 4 != 0) {
            throw new ImageException("ova.memory: expected MiB from 4 to " + MAX_MEMORY_MIB + ", a multiple of 4"
                    + " (e.g. 2048 or 2G), not '" + text + "'");
        }
        return mib;
    }

    private interface Spelling<T> {
        String of(T value);
    }

    private static <T> T choice(String key, String text, T dflt, T[] values, Spelling<T> spelling)
            throws ImageException {
        if (text == null) {
            return dflt;
        }
        List<String> names = new ArrayList<>();
        for (T v : values) {
            String s = spelling.of(v);
            if (s.equalsIgnoreCase(text.strip())) {
                return v;
            }
            names.add(s);
        }
        throw new ImageException(key + ": expected one of " + String.join(", ", names) + ", not '" + text + "'");
    }
}
