package org.sparkcnn.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A version's record (its entry.json, written last and never changed): whether it was published
 * or kept as a rejected candidate and why, the holdout metric it had and the champion's it was
 * compared with, what it was trained on (data fingerprint id, configuration id) and from what
 * (the version it warm-started from, or none).
 */
public record RegistryEntry(int version, Status status, String metricName, double metric, Integer comparedWith,
        Double championMetric, double margin, String reason, String fingerprintId, String configId, Integer warmStart,
        long created) {

    /** As stored: published (accepted: it became the champion when made) or rejected. */
    public enum Status {
        PUBLISHED, REJECTED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The folder name of a version: v000001. */
    public static String folder(int version) {
        return String.format("v%06d", version);
    }

    public ObjectNode json(ObjectMapper mapper) {
        ObjectNode n = mapper.createObjectNode();
        n.put("version", version);
        n.put("status", status.label());
        n.put("metric_name", metricName);
        n.put("metric", metric);
        putOrNull(n, "compared_with", comparedWith);
        if (championMetric == null) {
            n.putNull("champion_metric");
        } else {
            n.put("champion_metric", championMetric);
        }
        n.put("margin", margin);
        n.put("reason", reason);
        n.put("fingerprint_id", fingerprintId);
        n.put("config_id", configId);
        putOrNull(n, "warm_start", warmStart);
        n.put("created", created);
        return n;
    }

    private static void putOrNull(ObjectNode n, String key, Integer v) {
        if (v == null) {
            n.putNull(key);
        } else {
            n.put(key, v);
        }
    }

    /** Reads {@link #json} back; a missing or mistyped field is an IllegalArgumentException naming {@code where}. */
    public static RegistryEntry fromJson(JsonNode n, String where) {
        try {
            return new RegistryEntry(n.required("version").asInt(),
                    Status.valueOf(n.required("status").asText().toUpperCase(java.util.Locale.ROOT)),
                    n.required("metric_name").asText(), n.required("metric").asDouble(), intOrNull(n, "compared_with"),
                    n.hasNonNull("champion_metric") ? n.get("champion_metric").asDouble() : null,
                    n.required("margin").asDouble(), n.hasNonNull("reason") ? n.get("reason").asText() : null,
                    n.required("fingerprint_id").asText(), n.required("config_id").asText(), intOrNull(n, "warm_start"),
                    n.required("created").asLong());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": not a registry entry: " + e.getMessage(), e);
        }
    }

    private static Integer intOrNull(JsonNode n, String key) {
        return n.hasNonNull(key) ? n.get(key).asInt() : null;
    }
}
