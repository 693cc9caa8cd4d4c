package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The per-task seeds are part of a run's results: pinned, so that a refactoring keeps every value. */
class SeedOfTest {
    @Test
    void seedsArePinned() {
        assertEquals(-7046029254386353131L, DistributedTrainer.seedOf());
        assertEquals(2347583489874693020L, DistributedTrainer.seedOf(42));
        assertEquals(5012197220070407003L, DistributedTrainer.seedOf(42, 0, 1, 2));
        assertEquals(8886334345482251100L, DistributedTrainer.seedOf(-7, 3));
    }
}
