package org.sparkcnn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The project's JSON through Jackson: plain values in file order, strict reading, errors that say where. */
class JsonTextTest {
    @Test
    void parsesEveryKindOfValueKeepingKeyOrder() {
        Object v = JsonText.parse(" {\"a\": [1, -2.5e3, 0.125, 12345678901], \"b\": {\"c\": true, \"d\": false, \"e\": null},"
                + " \"s\": \"x\\n\\\"y\\\" \\u00e9\\/\"} ", "t");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of(1, -2500.0, 0.125, 12345678901L), m.get("a"));
        Map<?, ?> b = (Map<?, ?>) m.get("b");
        assertEquals(Boolean.TRUE, b.get("c"));
        assertEquals(Boolean.FALSE, b.get("d"));
        assertTrue(b.containsKey("e"));
        assertNull(b.get("e"));
        assertEquals("x\n\"y\" é/", m.get("s"));
        assertEquals(List.of("a", "b", "s"), List.copyOf(m.keySet()));
        assertEquals(List.of(), JsonText.parse("[]", "t"));
        assertEquals(Map.of(), JsonText.parse("{}", "t"));
        assertEquals(7, JsonText.parse("7", "t"));
    }

    @Test
    void errorsGiveSourceLineAndColumnOnOneLine() {
        String[][] bad = {
            {"{\"a\": 1,\n \"a\": 2}", "line 2, column ", "Duplicate field 'a'"},
            {"[1, 2,]", "line 1, column 7", "Unexpected character (']'"},
            {"{\"a\": 1} x", "line 1, column ", "Unrecognized token 'x'"},
            {"{\"a\": \"open", "line 1, column 12", "Unexpected end-of-input"},
            {"[01]", "line 1, column ", "Leading zeroes not allowed"},
            {"{a: 1}", "line 1, column 2", "was expecting double-quote to start field name"},
            {"[tru]", "line 1, column ", "Unrecognized token 'tru'"},
            {"// a comment\n{}", "line 1, column 1", "comment"},
            {"", "", "No content to map due to end-of-input"},
        };
        for (String[] c : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonText.parse(c[0], "f.json"),
                    c[0]);
            assertTrue(e.getMessage().startsWith("f.json: " + c[1]), Arrays.toString(c) + " → " + e.getMessage());
            assertTrue(e.getMessage().contains(c[2]), Arrays.toString(c) + " → " + e.getMessage());
            assertTrue(!e.getMessage().contains("\n") && e.getMessage().length() < 400, e.getMessage());
        }
    }

    @Test
    void writesCompactlyInInsertionOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 1);
        m.put("a", List.of("b\"\n", 0.5));
        assertEquals("{\"z\":1,\"a\":[\"b\\\"\\n\",0.5]}", JsonText.write(m));
        assertEquals("{\"z\":1,\"a\":[\"b\\\"\\n\",0.5]}", JsonText.write(JsonText.parse(JsonText.write(m), "t")));
        assertEquals("\"PK\\u0003\\u0004\"", JsonText.quote("PK\u0003\u0004"));
    }
}
