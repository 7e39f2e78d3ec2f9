package org.qimg.format.ova;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.qimg.format.ImageException;

/**
 * An OVF manifest ({@code .mf}): one line per file, {@code SHA256(name.vmdk)= hex}, as ovftool writes it
 * (DSP0243 section 5.1; SHA1 and SHA512 too). {@link #parse} reads one (leniently: blanks around the
 * parentheses and the '=' are accepted, as BSD {@code sha256 -r} style tools write them); {@link #check}
 * compares a member's digest with its line. Writing is {@link #line}, strict as VMware wants it: VMware
 * rejects "SHA256 " with a blank as an unknown algorithm. Used by qimg's OVA writer ({@code convert -O ova})
 * and meant for readers of OVA members; it has no other dependency than {@link ImageException}.
 *
 * <p>For a reader of OVAs: parse the {@code .mf} member (at most {@link #MAX_BYTES}), then for each member that
 * {@link #entry} names, digest its bytes with {@link Entry#newDigest()} while reading them and call
 * {@link #check} at its end.
 */
public final class OvaManifest {
    /** A manifest longer than this is refused before it is read (a few lines per file is all it holds). */
    public static final int MAX_BYTES = 1 << 20;

    private static final Pattern LINE = Pattern.compile(
            "(SHA1|SHA256|SHA512)\\s*\\((.+)\\)\\s*=\\s*([0-9A-Fa-f]+)\\s*");

    /** One manifest line: the algorithm as the manifest names it (SHA1, SHA256, SHA512), the file, its digest. */
    public record Entry(String algorithm, String file, byte[] digest) {
        public Entry {
            digest = digest.clone();
        }

        @Override
        public byte[] digest() {
            return digest.clone();
        }

        /** A fresh digest of this entry's algorithm. */
        public MessageDigest newDigest() {
            return OvaManifest.newDigest(algorithm);
        }
    }

    private final Map<String, Entry> entries;

    private OvaManifest(Map<String, Entry> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * Parses a manifest's bytes; {@code where} names it in errors (e.g. {@code 'app.ova': app.mf}). Refuses
     * text that is not UTF-8, a line that is not a digest line, a digest of the wrong length and a file named
     * twice.
     */
    public static OvaManifest parse(byte[] text, String where) throws ImageException {
        if (text.length > MAX_BYTES) {
            throw new ImageException(where + ": manifest of " + text.length + " bytes is larger than the limit of "
                    + MAX_BYTES);
        }
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(text)).toString();
        } catch (CharacterCodingException e) {
            throw new ImageException(where + ": manifest is not UTF-8 text");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        String[] lines = s.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank()) {
                continue;
            }
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches()) {
                throw new ImageException(where + ": line " + (i + 1) + ": expected 'SHA256(file)= hex', found '"
                        + shorten(line) + "'");
            }
            String alg = m.group(1);
            String hex = m.group(3);
            int expected = 2 * newDigest(alg).getDigestLength();
            if (hex.length() != expected) {
                throw new ImageException(where + ": line " + (i + 1) + ": a " + alg + " digest has " + expected
                        + " hex digits, not " + hex.length());
            }
            String file = m.group(2).strip();
            if (entries.put(file, new Entry(alg, file, HexFormat.of().parseHex(hex.toLowerCase()))) != null) {
                throw new ImageException(where + ": line " + (i + 1) + ": '" + shorten(file) + "' is listed twice");
            }
        }
        return new OvaManifest(entries);
    }

    /** The lines, in manifest order. */
    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /** The line for {@code file}, if the manifest has one. */
    public Optional<Entry> entry(String file) {
        return Optional.ofNullable(entries.get(file));
    }

    /**
     * Checks {@code actual}, the digest of {@code file}'s bytes with its entry's algorithm; {@code where} names
     * the package in the error. A file the manifest does not list passes (the caller decides whether that is
     * allowed).
     */
    public void check(String file, byte[] actual, String where) throws ImageException {
        Entry e = entries.get(file);
        if (e != null && !MessageDigest.isEqual(e.digest, actual)) {
            throw new ImageException(where + ": " + file + ": " + e.algorithm() + " digest "
                    + HexFormat.of().formatHex(actual) + " does not match the manifest's "
                    + HexFormat.of().formatHex(e.digest));
        }
    }

    /**
     * The manifest line for {@code file} with {@code digest} of {@code algorithm} (SHA1, SHA256, SHA512), as
     * ovftool writes it, newline included.
     */
    public static String line(String algorithm, String file, byte[] digest) {
        if (digest.length != newDigest(algorithm).getDigestLength() || file.isEmpty()
                || file.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("not a manifest line: " + algorithm + "(" + file + ")");
        }
        return algorithm + "(" + file + ")= " + HexFormat.of().formatHex(digest) + "\n";
    }

    /** A fresh digest for a manifest's algorithm name (SHA1, SHA256, SHA512). */
    public static MessageDigest newDigest(String manifestName) {
        return javaDigest(javaName(manifestName));
    }

    private static String javaName(String manifestName) {
        return switch (manifestName) {
            case "SHA1" -> "SHA-1";
            case "SHA256" -> "SHA-256";
            case "SHA512" -> "SHA-512";
            default -> throw new IllegalArgumentException(manifestName);
        };
    }

    private static MessageDigest javaDigest(String javaName) {
        try {
            return MessageDigest.getInstance(javaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + javaName, e);
        }
    }

    private static String shorten(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 80 ? t.substring(0, 77) + "..." : t;
    }
}
