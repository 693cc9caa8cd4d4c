package org.sparkcnn.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network description as read from its JSON text (docs/models.md): a tree of {@link Node}s,
 * each knowing its line and JSON path, so that every error can point at the line. Jackson does
 * the tokenising; comments ({@code //}, {@code /* *}{@code /}, {@code #}) and trailing commas are
 * allowed, duplicate keys are not.
 */
public final class Description {
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).enable(JsonReadFeature.ALLOW_YAML_COMMENTS)
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA).enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /**
     * One JSON value: a {@code Map<String, Node>} (object, in file order), a {@code List<Node>},
     * a String, a Long, a Double, a Boolean or null; {@code source} and {@code line} say where it
     * starts, {@code path} where it sits ({@code layers[3].body[0].kernel}).
     */
    public record Node(Object value, String source, int line, String path) {
        String where() {
            return source + ":" + line + ": " + (path.isEmpty() ? "(top)" : path);
        }

        /** The same value at another place in the tree (a block's body copied into a use of it). */
        Node withValue(Object v) {
            return new Node(v, source, line, path);
        }

        @SuppressWarnings("unchecked")
        Map<String, Node> object() {
            return value instanceof Map ? (Map<String, Node>) value : null;
        }

        @SuppressWarnings("unchecked")
        List<Node> array() {
            return value instanceof List ? (List<Node>) value : null;
        }
    }

    private final String source;
    private final Node root;
    private final String text;

    private Description(String source, Node root, String text) {
        this.source = source;
        this.root = root;
        this.text = text;
    }

    /** Parses {@code text}; {@code source} (a file name) goes into every error. */
    public static Description parse(String text, String source) {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() == null) {
                throw new DescriptionException(source + ": empty: expected a JSON object {\"layers\": [...]}");
            }
            Node root = read(p, source, "");
            if (p.nextToken() != null) {
                throw new DescriptionException(source + ":" + p.currentTokenLocation().getLineNr()
                        + ": text after the end of the description");
            }
            if (root.object() == null) {
                throw DescriptionException.at(root, "expected a JSON object {\"layers\": [...]}");
            }
            return new Description(source, root, text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new DescriptionException(source + ":" + (at == null ? "?" : at.getLineNr()) + ": not valid JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new DescriptionException(source + ": cannot be read: " + e.getMessage());
        }
    }

    private static Node read(JsonParser p, String source, String path) throws IOException {
        int line = p.currentTokenLocation().getLineNr();
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Node> fields = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    fields.put(name, read(p, source, path.isEmpty() ? name : path + "." + name));
                }
                return new Node(Collections.unmodifiableMap(fields), source, line, path);
            }
            case START_ARRAY: {
                List<Node> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(read(p, source, path + "[" + items.size() + "]"));
                }
                return new Node(Collections.unmodifiableList(items), source, line, path);
            }
            case VALUE_STRING:
                return new Node(p.getText(), source, line, path);
            case VALUE_NUMBER_INT:
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    return new Node(p.getDoubleValue(), source, line, path);
                }
                return new Node(p.getLongValue(), source, line, path);
            case VALUE_NUMBER_FLOAT:
                return new Node(p.getDoubleValue(), source, line, path);
            case VALUE_TRUE:
            case VALUE_FALSE:
                return new Node(t == JsonToken.VALUE_TRUE, source, line, path);
            default:
                return new Node(null, source, line, path);
        }
    }

    public String source() {
        return source;
    }

    /** The text it was parsed from: what a model file stores, so the file alone rebuilds the network. */
    public String text() {
        return text;
    }

    Node root() {
        return root;
    }

    /** Whether the description fixes a top-level field, e.g. "input" or "classes". */
    public boolean fixes(String field) {
        return root.object().containsKey(field);
    }
}
