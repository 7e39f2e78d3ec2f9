package org.qimg.tests.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Field-by-field comparison of two JSON documents: the oracle's ({@code expected}) and qimg's
 * ({@code actual}). Key order and number representation do not matter; values do. Arrays compare
 * element by element and must have the same length.
 */
public final class JsonCompare {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonCompare() {
    }

    public static JsonNode parse(String json, String what) {
        try {
            JsonNode n = MAPPER.readTree(json);
            if (n == null || n.isMissingNode()) {
                throw new AssertionError(what + " printed no JSON");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new AssertionError(what + " printed invalid JSON: " + e.getOriginalMessage() + "\n" + json, e);
        }
    }

    /**
     * Every difference where both documents print a field, plus every field of {@code expected} that
     * {@code actual} lacks (qimg promises qemu-img's keys). Fields only {@code actual} prints are allowed.
     */
    public static List<String> differences(JsonNode expected, JsonNode actual) {
        List<String> out = new ArrayList<>();
        compare("", expected, actual, true, out);
        return out;
    }

    /** Differences only where both documents print a field; missing fields on either side are ignored. */
    public static List<String> sharedDifferences(JsonNode expected, JsonNode actual) {
        List<String> out = new ArrayList<>();
        compare("", expected, actual, false, out);
        return out;
    }

    private static void compare(String path, JsonNode exp, JsonNode act, boolean requireKeys, List<String> out) {
        if (exp.isObject() && act.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = exp.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode a = act.get(e.getKey());
                String p = path + "/" + e.getKey();
                if (a == null) {
                    if (requireKeys) {
                        out.add(p + ": missing (qemu-img: " + e.getValue() + ")");
                    }
                } else {
                    compare(p, e.getValue(), a, requireKeys, out);
                }
            }
        } else if (exp.isArray() && act.isArray()) {
            if (exp.size() != act.size()) {
                out.add(path + ": array of " + act.size() + " elements, qemu-img has " + exp.size());
            }
            for (int i = 0; i < Math.min(exp.size(), act.size()); i++) {
                compare(path + "/" + i, exp.get(i), act.get(i), requireKeys, out);
            }
        } else if (exp.isNumber() && act.isNumber()) {
            if (exp.decimalValue().compareTo(act.decimalValue()) != 0) {
                out.add(path + ": " + act + ", qemu-img: " + exp);
            }
        } else if (!exp.equals(act)) {
            out.add(path + ": " + act + ", qemu-img: " + exp);
        }
    }
}
