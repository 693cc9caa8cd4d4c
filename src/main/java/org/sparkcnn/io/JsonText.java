package org.sparkcnn.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;

/**
 * The project's JSON through Jackson (Spark's version, provided): one strictly configured mapper for
 * the files it writes and reads (model file headers, manifests, metrics lines, class lists,
 * reference cases). Reading is strict RFC 8259: duplicate keys, comments, trailing commas and text
 * after the value are errors, and every error names the source, line and column. Objects keep their
 * key order, in both directions, so what is written is deterministic.
 */
public final class JsonText {
    /** Strict, order-keeping; thread-safe once built. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonText() {
    }

    /**
     * A whole document as plain Java values: {@code Map<String, Object>} (key order kept),
     * {@code List<Object>}, {@code String}, a {@code Number} (Integer, Long or BigInteger for
     * integers, Double otherwise), {@code Boolean} or null. {@code source} (e.g. a file path) goes
     * into the error: "source: line L, column C: problem".
     */
    public static Object parse(String text, String source) {
        try {
            return MAPPER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(problem(e, source), e);
        }
    }

    /** "source: line L, column C: problem", on one line, for a Jackson failure. */
    public static String problem(JsonProcessingException e, String source) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 || at.getColumnNr() < 1 ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
        String m = String.valueOf(e.getOriginalMessage()).replaceAll("\\s+", " ").strip();
        return source + ": " + where + (m.length() > 300 ? m.substring(0, 300) + "…" : m);
    }

    /** A new, empty object whose fields are written in the order they are put. */
    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** {@code value} (a tree, a map, a list, a string...) as compact JSON on one line. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON string literal for {@code s}, as in messages that quote a value. */
    public static String quote(String s) {
        return write(s);
    }
}
