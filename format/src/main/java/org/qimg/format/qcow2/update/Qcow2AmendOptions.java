package org.qimg.format.qcow2.update;

import java.util.LinkedHashMap;
import java.util.Map;
import org.qimg.format.ImageException;
import org.qimg.format.QemuOptionSyntax;

/**
 * The {@code -o} list of {@code qemu-img amend} for qcow2, parsed as QEMU 7.2's {@code qemu_opts_do_parse}
 * against qcow2's amend options ({@code qcow2_amend_opts}): every value is checked for its type as it is
 * parsed; a name that is not an amend option is "Invalid parameter", with qemu-img's hint "This option is only
 * supported for image creation" when the whole list parses as qcow2's create and amend options together.
 * Only the options given are changed; the others keep the image's values.
 */
final class Qcow2AmendOptions {
    private enum Type { STRING, BOOL, NUMBER, SIZE }

    /** qcow2's amend options, in the order {@code -o help} lists them (QEMU sorts them by name). */
    private static final Object[][] AMEND = {
        {"backing_file", Type.STRING, "<str>", "File name of a base image"},
        {"backing_fmt", Type.STRING, "<str>", "Image format of the base image"},
        {"compat", Type.STRING, "<str>", "Compatibility level (v2 [0.10] or v3 [1.1])"},
        {"data_file", Type.STRING, "<str>", "File name of an external data file"},
        {"data_file_raw", Type.BOOL, "<bool (on/off)>", "The external data file must stay valid as a raw image"},
        {"encrypt.iter-time", Type.NUMBER, "<num>", "Time to spend in PBKDF in milliseconds"},
        {"encrypt.keyslot", Type.NUMBER, "<num>", "Select a single keyslot to modify explicitly"},
        {"encrypt.new-secret", Type.STRING, "<str>", "New secret to set in the matching keyslots. Empty string to "
                + "erase"},
        {"encrypt.old-secret", Type.STRING, "<str>", "Select all keyslots that match this password"},
        {"encrypt.state", Type.STRING, "<str>", "Select new state of affected keyslots (active/inactive)"},
        {"lazy_refcounts", Type.BOOL, "<bool (on/off)>", "Postpone refcount updates"},
        {"refcount_bits", Type.NUMBER, "<num>", "Width of a reference count entry in bits"},
        {"size", Type.SIZE, "<size>", "Virtual disk size"},
    };

    /** qcow2's create options that amend does not take. */
    private static final Object[][] CREATE_ONLY = {
        {"encryption", Type.BOOL}, {"encrypt.format", Type.STRING}, {"encrypt.key-secret", Type.STRING},
        {"encrypt.cipher-alg", Type.STRING}, {"encrypt.cipher-mode", Type.STRING},
        {"encrypt.ivgen-alg", Type.STRING}, {"encrypt.ivgen-hash-alg", Type.STRING},
        {"encrypt.hash-alg", Type.STRING}, {"cluster_size", Type.SIZE}, {"extended_l2", Type.BOOL},
        {"preallocation", Type.STRING}, {"compression_type", Type.STRING},
    };

    /** The options given, by name, as their parsed values (String, Boolean or Long). */
    private final Map<String, Object> values;

    private Qcow2AmendOptions(Map<String, Object> values) {
        this.values = values;
    }

    /** What {@code qemu-img amend -f qcow2 -o help} lists. */
    static String help() {
        StringBuilder b = new StringBuilder();
        for (Object[] o : AMEND) {
            b.append(String.format("  %-22s - %s%n", o[0] + "=" + o[2], o[3]));
        }
        return b.toString().replace(System.lineSeparator(), "\n");
    }

    /** Parses {@code list} with QEMU's messages. */
    static Qcow2AmendOptions parse(String list) throws ImageException {
        Map<String, String> raw = QemuOptionSyntax.splitOptions(list);
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            Type t = type(AMEND, e.getKey());
            if (t == null) {
                ImageException err = new ImageException("Invalid parameter '" + e.getKey() + "'");
                if (parsesForCreate(raw)) {
                    throw new ImageException(err.getMessage() + "\nThis option is only supported for image creation");
                }
                throw err;
            }
            out.put(e.getKey(), value(e.getKey(), e.getValue(), t));
        }
        return new Qcow2AmendOptions(out);
    }

    private static boolean parsesForCreate(Map<String, String> raw) {
        for (Map.Entry<String, String> e : raw.entrySet()) {
            Type t = type(AMEND, e.getKey());
            if (t == null) {
                t = type(CREATE_ONLY, e.getKey());
            }
            if (t == null) {
                return false;
            }
            try {
                value(e.getKey(), e.getValue(), t);
            } catch (ImageException x) {
                return false;
            }
        }
        return true;
    }

    private static Type type(Object[][] list, String name) {
        for (Object[] o : list) {
            if (o[0].equals(name)) {
                return (Type) o[1];
            }
        }
        return null;
    }

    private static Object value(String key, String v, Type t) throws ImageException {
        return switch (t) {
            case STRING -> v;
            case BOOL -> QemuOptionSyntax.parseBool(key, v);
            case NUMBER -> QemuOptionSyntax.numberValue(key, v);
            case SIZE -> size(key, v);
        };
    }

    /** A size value; a malformed one gets QEMU's hint about the suffixes. */
    private static long size(String key, String v) throws ImageException {
        try {
            return QemuOptionSyntax.sizeValue(key, v);
        } catch (ImageException e) {
            if (QemuOptionSyntax.parseSize(v) == QemuOptionSyntax.SIZE_OUT_OF_RANGE) {
                throw e;
            }
            throw new ImageException(e.getMessage() + "\nOptional suffix k, M, G, T, P or E means kilo-, mega-,"
                    + " giga-, tera-, peta-\nand exabytes, respectively.");
        }
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String string(String name) {
        return (String) values.get(name);
    }

    boolean bool(String name) {
        return (Boolean) values.get(name);
    }

    long number(String name) {
        return (Long) values.get(name);
    }

    /** The first encrypt.* option given, or null. */
    String encryptOption() {
        for (String k : values.keySet()) {
            if (k.startsWith("encrypt.")) {
                return k;
            }
        }
        return null;
    }
}
