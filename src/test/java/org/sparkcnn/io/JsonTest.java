package org.sparkcnn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, 0.125], \"b\": {\"c\": true, \"d\": false, \"e\": null},"
                + " \"s\": \"x\\n\\\"y\\\" \\u00e9\\/\"} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of(1.0, -2500.0, 0.125), m.get("a"));
        Map<?, ?> b = (Map<?, ?>) m.get("b");
        assertEquals(Boolean.TRUE, b.get("c"));
        assertEquals(Boolean.FALSE, b.get("d"));
        assertTrue(b.containsKey("e"));
        assertNull(b.get("e"));
        assertEquals("x\n\"y\" é/", m.get("s"));
        assertEquals(List.of("a", "b", "s"), List.copyOf(m.keySet()));
        assertEquals(List.of(), Json.parse("[]"));
        assertEquals(Map.of(), Json.parse("{}"));
        assertEquals(7.0, Json.parse("7"));
    }

    @Test
    void errorsGiveSourceLineAndColumn() {
        String[][] bad = {
            {"{\"a\": 1,\n \"a\": 2}", "line 2, column 2", "duplicate key \"a\""},
            {"[1, 2,]", "line 1, column 7", "expected a value"},
            {"{\"a\": 1} x", "line 1, column 10", "unexpected text"},
            {"{\"a\": \"open", "line 1, column 12", "unterminated string"},
            {"[01]", "line 1, column 3", "expected ']'"},
            {"[1.]", "line 1, column 4", "decimal point"},
            {"{a: 1}", "line 1, column 2", "quoted key"},
            {"[tru]", "line 1, column 2", "expected 'true'"},
            {"[\"\\x\"]", "line 1, column 3", "unknown escape"},
            {"", "line 1, column 1", "expected a value"},
        };
        for (String[] c : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(c[0], "f.json"),
                    c[0]);
            assertTrue(e.getMessage().startsWith("f.json: " + c[1] + ": "), Arrays.toString(c) + " → " + e.getMessage());
            assertTrue(e.getMessage().contains(c[2]), Arrays.toString(c) + " → " + e.getMessage());
        }
    }
}
