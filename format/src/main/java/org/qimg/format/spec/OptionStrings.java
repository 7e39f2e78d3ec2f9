package org.qimg.format.spec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.qimg.format.ImageException;

/**
 * The two textual forms of QEMU's block options, parsed into one nested form: a map whose values are
 * strings, numbers, booleans, null or nested maps, keys in the order given ({@code file.filename=x} and
 * {@code "file": {"filename": "x"}} both become {@code file -> {filename -> x}}).
 *
 * <ul>
 *   <li>An option string as {@code --image-opts} takes it (QemuOpts): {@code key=value} items separated by
 *       commas, a comma inside a value doubled ({@code ,,}); a first item without {@code =} is the implied
 *       {@code file} option, a later one is {@code key=on}. Values stay strings.</li>
 *   <li>A {@code json:} file name: a JSON object (QEMU's parser also takes single-quoted strings); numbers and
 *       booleans keep their JSON types, which {@code info} prints back.</li>
 * </ul>
 */
public final class OptionStrings {
    /** The prefix of a file name that is a JSON object of options. */
    public static final String JSON_PREFIX = "json:";

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(JsonParser.Feature.ALLOW_SINGLE_QUOTES, true)
            .configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, false);

    private OptionStrings() {
    }

    /** Parses a QemuOpts option string ({@code driver=qcow2,file.filename=x.qcow2}). */
    public static Map<String, Object> parseOptions(String text) throws ImageException {
        Map<String, Object> out = new LinkedHashMap<>();
        int i = 0;
        int n = text.length();
        boolean first = true;
        while (i < n) {
            StringBuilder key = new StringBuilder();
            while (i < n && text.charAt(i) != '=' && text.charAt(i) != ',') {
                key.append(text.charAt(i++));
            }
            String value;
            String name;
            if (i < n && text.charAt(i) == '=') {
                i++;
                StringBuilder v = new StringBuilder();
                i = readValue(text, i, v);
                name = key.toString();
                value = v.toString();
            } else if (first) {
                // the implied option: the whole item (with doubled commas) is the value of "file"
                StringBuilder v = new StringBuilder();
                i = readValue(text, i - key.length(), v);
                name = "file";
                value = v.toString();
            } else {
                name = key.toString();
                value = "on";
            }
            i++; // the separating comma
            first = false;
            if (name.isEmpty()) {
                throw new ImageException("Invalid parameter ''");
            }
            put(out, name, value);
        }
        return out;
    }

    /** Reads a value from {@code from} up to an unescaped comma; returns the index of that comma (or the end). */
    private static int readValue(String text, int from, StringBuilder v) {
        int i = from;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == ',') {
                if (i + 1 < n && text.charAt(i + 1) == ',') {
                    v.append(',');
                    i += 2;
                    continue;
                }
                break;
            }
            v.append(c);
            i++;
        }
        return i;
    }

    /**
     * Parses the JSON object after {@link #JSON_PREFIX}, with QEMU's messages for text that is not JSON and
     * for JSON that is not an object.
     */
    public static Map<String, Object> parseJson(String json) throws ImageException {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ImageException("Could not parse the JSON options: JSON parse error, "
                    + e.getOriginalMessage().replaceAll("\\s+", " "));
        }
        if (node == null || !node.isObject()) {
            throw new ImageException("Invalid JSON object given");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            put(out, e.getKey(), value(e.getValue()));
        }
        return out;
    }

    private static Object value(JsonNode v) throws ImageException {
        if (v.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                put(m, e.getKey(), value(e.getValue()));
            }
            return m;
        }
        if (v.isNull()) {
            return null;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToLong() ? (Object) v.longValue() : v.bigIntegerValue();
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        // an array: no option qimg takes is a list
        return new JsonList(v.toString());
    }

    /** A JSON array kept as its text: accepted by the parser, refused by whichever option it is given to. */
    public record JsonList(String json) {
    }

    /** Puts {@code value} at the dotted {@code key} ({@code file.filename}), creating the maps on the way. */
    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> root, String key, Object value) throws ImageException {
        Map<String, Object> m = root;
        String[] parts = key.split("\\.", -1);
        for (int k = 0; k < parts.length - 1; k++) {
            Object sub = m.get(parts[k]);
            if (sub == null) {
                sub = new LinkedHashMap<String, Object>();
                m.put(parts[k], sub);
            } else if (!(sub instanceof Map)) {
                throw new ImageException("Cannot add option '" + key + "': '" + parts[k] + "' is not an object");
            }
            m = (Map<String, Object>) sub;
        }
        String last = parts[parts.length - 1];
        if (value instanceof Map<?, ?> nested && m.get(last) instanceof Map<?, ?> existing) {
            for (Map.Entry<?, ?> e : nested.entrySet()) {
                put((Map<String, Object>) existing, (String) e.getKey(), e.getValue());
            }
            return;
        }
        m.put(last, value);
    }
}
