package org.sparkcnn.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultsTest {
    @TempDir
    Path dir;

    @Test
    void parsesThePlanAndRefusesUnknownKindsAndWrongArguments() {
        Faults f = Faults.parse("fail-first-attempt:1; slow-first-attempt:0:2500", null);
        assertTrue(f.failFirstAttempt(1));
        assertFalse(f.failFirstAttempt(0));
        assertEquals(2500, f.slowFirstAttemptMillis(0));
        assertEquals(0, f.slowFirstAttemptMillis(1));
        assertEquals(0, f.slowBatchMillis());
        assertEquals(100, f.with("slow-batches:100").slowBatchMillis());
        assertTrue(Faults.none().isEmpty());
        assertTrue(Faults.none().with("fail-first-attempt:3").failFirstAttempt(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Faults.parse("explode:1", null));
        assertTrue(e.getMessage().contains("'explode:1'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Faults.parse("slow-first-attempt:1", null));
        Faults nan = Faults.parse("nan-gradient:2:3:1", null);
        assertTrue(nan.nanGradient(2, 3, 1));
        assertFalse(nan.nanGradient(2, 3, 0) || nan.nanGradient(1, 3, 1) || nan.nanGradient(2, 1, 1));
    }

    @Test
    void aPauseWritesItsMarkerAndWaitsUntilStopped() throws Exception {
        Faults f = Faults.parse("pause:here", dir.toString());
        f.pause("elsewhere");
        assertFalse(Files.exists(dir.resolve("elsewhere")), "only the named point pauses");
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                f.pause("here");
            } catch (Throwable x) {
                thrown.set(x);
            }
        });
        t.start();
        for (int i = 0; i < 200 && !Files.exists(dir.resolve("here")); i++) {
            Thread.sleep(25);
        }
        assertTrue(Files.exists(dir.resolve("here")), "the marker names the point");
        assertTrue(t.isAlive(), "and the pause waits");
        t.interrupt();
        t.join(5000);
        assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
    }

    @Test
    void aHangingFirstAttemptWaitsAsLongAsAPause() {
        Faults f = Faults.parse("hang-first-attempt:1", null);
        assertEquals(600_000, f.hangFirstAttemptMillis(1));
        assertEquals(0, f.hangFirstAttemptMillis(0));
        assertThrows(IllegalArgumentException.class, () -> Faults.parse("hang-first-attempt", null));
    }
}
