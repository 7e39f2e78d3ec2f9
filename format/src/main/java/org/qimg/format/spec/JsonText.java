package org.qimg.format.spec;

import java.util.Map;

/** QEMU's compact JSON text of a dictionary ({@code qobject_to_json}): {@code {"k": v, "k2": {...}}}. */
final class JsonText {
    private JsonText() {
    }

    static String of(Object v) {
        StringBuilder b = new StringBuilder();
        append(b, v);
        return b.toString();
    }

    private static void append(StringBuilder b, Object v) {
        if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    b.append(", ");
                }
                first = false;
                string(b, String.valueOf(e.getKey()));
                b.append(": ");
                append(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof String s) {
            string(b, s);
        } else if (v instanceof OptionStrings.JsonList l) {
            b.append(l.json());
        } else {
            b.append(v); // numbers, booleans, null
        }
    }

    /** A string as QEMU quotes it: quote, backslash and control characters escaped, non-ASCII as backslash-u. */
    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        b.append(String.format("\\u%04X", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
