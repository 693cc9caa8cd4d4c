package org.sparkcnn.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry without Spark: versions appear whole or not at all, the pointer moves only for a
 * published version, the margin rule and its reason, idempotence keys, the lock (refusal naming
 * the holder, one winner of a race, stale locks by heartbeat and by dead process) and --list.
 */
class ModelRegistryTest {
    @TempDir
    Path dir;

    private final Configuration conf = new Configuration();
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelRegistry registry() throws Exception {
        return ModelRegistry.open(dir.resolve("reg").toString(), conf);
    }

    private DataFingerprint data(String name, int rows) throws Exception {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        if (Files.notExists(d.resolve("part-0.parquet"))) {
            Files.writeString(d.resolve("part-0.parquet"), "rows of " + name);
        }
        ModelRegistry r = registry();
        return DataFingerprint.of(r.fs(), new org.apache.hadoop.fs.Path(d.toString()), DataFingerprint.Mode.METADATA, rows);
    }

    private RegistryEntry add(ModelRegistry r, RegistryLock lock, DataFingerprint fp, double metric, String reason,
            Integer champion) throws Exception {
        ModelRegistry.Staged s = r.stage(lock);
        r.write(s, ModelRegistry.FINGERPRINT, JSON.writeValueAsBytes(fp.json(JSON)));
        return r.commit(s, new RegistryEntry(s.version(), reason == null ? RegistryEntry.Status.PUBLISHED
                : RegistryEntry.Status.REJECTED, "accuracy", metric, champion, champion == null ? null : 0.8, 0.005, reason,
                fp.id(), "cfg", champion, System.currentTimeMillis()), lock);
    }

    private RegistryLock lock(ModelRegistry r) throws Exception {
        return r.lock(60_000, "test", line -> { });
    }

    @Test
    void versionsArePublishedWholeAndThePointerMovesOnlyForPublishedOnes() throws Exception {
        ModelRegistry r = registry();
        DataFingerprint a = data("a", 10), b = data("b", 20);
        assertTrue(r.championVersion().isEmpty());
        try (RegistryLock lock = lock(r)) {
            ModelRegistry.Staged s = r.stage(lock);
            r.write(s, ModelRegistry.FINGERPRINT, JSON.writeValueAsBytes(a.json(JSON)));
            // staged but not committed: hidden, no version, no pointer
            assertEquals(List.of(), r.versions());
            assertTrue(s.dir().getName().startsWith("."), s.dir().toString());
            r.commit(s, new RegistryEntry(1, RegistryEntry.Status.PUBLISHED, "accuracy", 0.8, null, null, 0.005, null,
                    a.id(), "cfg", null, 1), lock);
            assertEquals(1, r.championVersion().orElseThrow());
            add(r, lock, b, 0.5, "worse", 1);
            assertEquals(1, r.championVersion().orElseThrow(), "a rejected version leaves the pointer");
            assertEquals(2, r.versions().size());
            // a failed run: staged, aborted, nothing left
            ModelRegistry.Staged failed = r.stage(lock);
            r.write(failed, "partial", new byte[10]);
            r.abort(failed);
            assertEquals(2, r.versions().size());
            assertEquals(1, r.championVersion().orElseThrow(), "a failed run leaves the champion");
            try (var files = Files.list(dir.resolve("reg"))) {
                assertEquals(List.of("_LOCK", "champion", "v000001", "v000002"),
                        files.map(p -> p.getFileName().toString()).sorted().toList());
            }
        }
        assertTrue(Files.notExists(dir.resolve("reg/_LOCK")), "the lock is released");
        String model = ModelRegistry.resolve("registry:" + dir.resolve("reg"), conf);
        assertTrue(model.endsWith("v000001/model"), model);
        assertTrue(ModelRegistry.resolve("registry:" + dir.resolve("reg") + "@2", conf).endsWith("v000002/model"));
        assertTrue(ModelRegistry.resolve("registry:" + dir.resolve("reg") + "@v2", conf).endsWith("v000002/model"));
        var missing = assertThrows(java.io.FileNotFoundException.class,
                () -> ModelRegistry.resolve("registry:" + dir.resolve("reg") + "@7", conf));
        assertTrue(missing.getMessage().contains("no complete version 7"), missing.getMessage());
        var none = assertThrows(java.io.FileNotFoundException.class,
                () -> ModelRegistry.resolve("registry:" + dir.resolve("empty"), conf));
        assertTrue(none.getMessage().contains("no champion yet"), none.getMessage());
    }

    @Test
    void theMarginRuleSaysWhyACandidateIsRejected() {
        PublishRule acc = new PublishRule("accuracy", 0.005);
        assertNull(acc.rejection(0.5, null, null), "the first version is published");
        assertNull(acc.rejection(0.795, 3, 0.8), "a drop of exactly the margin is allowed");
        assertNull(acc.rejection(0.9, 3, 0.8));
        String why = acc.rejection(0.7, 3, 0.8);
        assertEquals("holdout accuracy 0.7000 is 0.1000 below the champion v000003's 0.8000, more than the margin 0.0050",
                why);
        PublishRule loss = new PublishRule("loss", 0.01);
        assertNull(loss.rejection(0.30, 1, 0.31));
        assertTrue(loss.rejection(0.40, 1, 0.31).contains("above"), loss.rejection(0.40, 1, 0.31));
        assertThrows(IllegalArgumentException.class, () -> new PublishRule("auc", 0));
        assertThrows(IllegalArgumentException.class, () -> new PublishRule("accuracy", -1));
        JsonNode eval = JSON.createObjectNode().put("accuracy", 0.75).set("macro_avg", JSON.createObjectNode().put("f1", 0.5));
        assertEquals(0.75, acc.valueIn(eval));
        assertEquals(0.5, new PublishRule("macro_f1", 0).valueIn(eval));
    }

    @Test
    void theFingerprintChangesWithTheDataAndSurvivesJson() throws Exception {
        DataFingerprint a = data("a", 10);
        DataFingerprint again = data("a", 10);
        assertEquals(a.id(), again.id(), "the same files, the same id");
        assertNotEquals(a.id(), data("a", 11).id(), "rows are part of it");
        Path part = dir.resolve("a/part-0.parquet");
        Files.setLastModifiedTime(part, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        DataFingerprint touched = data("a", 10);
        assertNotEquals(a.id(), touched.id(), "metadata mode sees a new modification time");
        ModelRegistry r = registry();
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(dir.resolve("a").toString());
        DataFingerprint c1 = DataFingerprint.of(r.fs(), p, DataFingerprint.Mode.CONTENT, 10);
        Files.setLastModifiedTime(part, java.nio.file.attribute.FileTime.fromMillis(2_000_000));
        assertEquals(c1.id(), DataFingerprint.of(r.fs(), p, DataFingerprint.Mode.CONTENT, 10).id(),
                "content mode ignores the time");
        Files.writeString(dir.resolve("a/.part-0.parquet.crc"), "x");
        assertEquals(c1.id(), DataFingerprint.of(r.fs(), p, DataFingerprint.Mode.CONTENT, 10).id(), "hidden files do not count");
        Files.writeString(part, "rows 99");
        assertNotEquals(c1.id(), DataFingerprint.of(r.fs(), p, DataFingerprint.Mode.CONTENT, 10).id());
        DataFingerprint back = DataFingerprint.fromJson(JSON.readTree(JSON.writeValueAsBytes(c1.json(JSON))), "x");
        assertEquals(c1.id(), back.id());
        assertEquals(ModelRegistry.configId(Map.of("model", "lenet5", "train", "a")),
                ModelRegistry.configId(Map.of("model", "lenet5", "train", "b", "initModel", "registry:x@1")));
        assertNotEquals(ModelRegistry.configId(Map.of("model", "lenet5")), ModelRegistry.configId(Map.of("model", "convnet")));
    }

    @Test
    void aSecondRunIsRefusedNamingTheHolderAndOneOfTwoRacersWins() throws Exception {
        ModelRegistry r = registry();
        try (RegistryLock held = lock(r)) {
            RegistryLockedException e = assertThrows(RegistryLockedException.class, () -> lock(r));
            assertTrue(e.getMessage().contains("is locked by another retraining: pid " + ProcessHandle.current().pid()
                    + " on host " + RegistryLock.host()), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            held.verify();
        }
        lock(r).close(); // free again
        int racers = 4;
        CountDownLatch go = new CountDownLatch(1);
        List<Object> results = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    results.add(lock(r));
                } catch (Exception ex) {
                    results.add(ex);
                }
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        List<Object> won = results.stream().filter(o -> o instanceof RegistryLock).toList();
        assertEquals(1, won.size(), results.toString());
        assertEquals(racers - 1, results.stream().filter(o -> o instanceof RegistryLockedException).count(),
                results.toString());
        ((RegistryLock) won.get(0)).close();
    }

    private void writeLock(String host, long pid, long heartbeatMillisAgo) throws Exception {
        Files.createDirectories(dir.resolve("reg"));
        long t = System.currentTimeMillis() - heartbeatMillisAgo;
        String json = JSON.createObjectNode().put("token", "other").put("host", host).put("pid", pid)
                .put("started", Instant.ofEpochMilli(t).toString()).put("heartbeat", Instant.ofEpochMilli(t).toString())
                .put("command", "x").toString();
        Path f = dir.resolve("reg/_LOCK");
        Files.writeString(f, json);
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(t));
    }

    @Test
    void staleLocksAreDetectedByHeartbeatAndByADeadProcess() throws Exception {
        ModelRegistry r = registry();
        List<String> warnings = new ArrayList<>();
        // a live lock of another host: refused
        writeLock("elsewhere", 1, 1000);
        assertThrows(RegistryLockedException.class, () -> r.lock(60_000, "t", warnings::add));
        // its heartbeat older than the timeout: removed, with a warning
        writeLock("elsewhere", 1, 120_000);
        r.lock(60_000, "t", warnings::add).close();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("more than the 60 s timeout"), warnings.get(0));
        // this host, a process that has ended: stale at once
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        writeLock(RegistryLock.host(), p.pid(), 0);
        r.lock(60_000, "t", warnings::add).close();
        assertTrue(warnings.get(1).contains("its process " + p.pid() + " on this host is gone"), warnings.toString());
        // this host, a live process (ours): held
        writeLock(RegistryLock.host(), ProcessHandle.current().pid() == 1 ? 2 : 1, 0);
        if (ProcessHandle.of(1).isPresent()) {
            assertThrows(RegistryLockedException.class, () -> r.lock(60_000, "t", warnings::add));
        }
    }

    @Test
    void aLockTakenOverIsNoticedAndTheHeartbeatKeepsItFresh() throws Exception {
        ModelRegistry r = registry();
        // a 5 s timeout renews every 1.25 s: generous, as this machine may stall a thread for a while
        try (RegistryLock lock = r.lock(5000, "t", line -> { })) {
            Path f = dir.resolve("reg/_LOCK");
            long first = RegistryLock.read(r.fs(), new org.apache.hadoop.fs.Path(f.toString())).heartbeat();
            Thread.sleep(1600);
            long later = RegistryLock.read(r.fs(), new org.apache.hadoop.fs.Path(f.toString())).heartbeat();
            assertTrue(later > first, "the heartbeat was renewed");
            assertThrows(RegistryLockedException.class, () -> r.lock(5000, "t", line -> { }), "renewed: not stale");
            writeLock("elsewhere", 1, 0); // another run took it over
            RegistryLockedException e = assertThrows(RegistryLockedException.class, lock::verify);
            assertTrue(e.getMessage().contains("lost the registry lock"), e.getMessage());
            assertThrows(RegistryLockedException.class, () -> r.stage(lock), "nothing is staged without the lock");
        }
        assertTrue(Files.exists(dir.resolve("reg/_LOCK")), "closing does not delete another run's lock");
    }

    @Test
    void listingPrintsOneJsonObjectPerVersionAndRecoveryFinishesAPointerMove() throws Exception {
        ModelRegistry r = registry();
        DataFingerprint a = data("a", 10), b = data("b", 20);
        try (RegistryLock lock = lock(r)) {
            add(r, lock, a, 0.8, null, null);
            add(r, lock, b, 0.5, "holdout accuracy 0.5000 is worse", 1);
            add(r, lock, b, 0.81, null, 1);
        }
        List<String> lines = r.listing();
        assertEquals(3, lines.size());
        JsonNode v1 = JSON.readTree(lines.get(0)), v2 = JSON.readTree(lines.get(1)), v3 = JSON.readTree(lines.get(2));
        assertEquals("published", v1.get("status").asText());
        assertEquals("rejected", v2.get("status").asText());
        assertEquals("holdout accuracy 0.5000 is worse", v2.get("reason").asText());
        assertEquals("champion", v3.get("status").asText());
        assertEquals(0.81, v3.get("metric").asDouble());
        assertEquals(b.id(), v3.get("fingerprint").get("id").asText());
        assertEquals(20, v3.get("fingerprint").get("rows").asLong());
        assertTrue(v1.get("reason").isNull());
        assertEquals(3, r.trainedBefore(b.id(), "cfg").orElseThrow().version());
        assertTrue(r.trainedBefore(b.id(), "other").isEmpty());
        // a run that died between renaming v000003 into place and moving the pointer
        Files.writeString(dir.resolve("reg/champion"), "{\"version\":1}\n", StandardCharsets.UTF_8);
        Files.createDirectories(dir.resolve("reg/.v000004.stage-dead"));
        try (RegistryLock lock = lock(r)) {
            List<String> done = r.recover(lock);
            assertEquals(2, done.size(), done.toString());
        }
        assertEquals(3, r.championVersion().orElseThrow());
        assertTrue(Files.notExists(dir.resolve("reg/.v000004.stage-dead")));
    }
}
