package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How a session that a standalone master never registered is told apart from other failures. */
class CliSparkTest {
    private static NullPointerException thrownIn(String className) {
        NullPointerException npe = new NullPointerException("Cannot invoke \"TaskScheduler.postStartHook()\"");
        npe.setStackTrace(new StackTraceElement[] {new StackTraceElement(className, "<init>", "SparkContext.scala", 700)});
        return npe;
    }

    @Test
    void aContextStoppedByItsBackendWhileStartingIsRecognisedHoweverFarItGot() {
        assertTrue(CliSpark.stoppedWhileStarting(new IllegalStateException("Cannot call methods on a stopped SparkContext.")));
        assertTrue(CliSpark.stoppedWhileStarting(thrownIn("org.apache.spark.SparkContext")));
        assertTrue(CliSpark.stoppedWhileStarting(new RuntimeException("wrapped", thrownIn("org.apache.spark.SparkContext$"))));
    }

    @Test
    void otherFailuresAreNot() {
        assertFalse(CliSpark.stoppedWhileStarting(thrownIn("org.sparkcnn.cli.TrainCli")));
        assertFalse(CliSpark.stoppedWhileStarting(new NullPointerException("no trace")));
        assertFalse(CliSpark.stoppedWhileStarting(new IllegalStateException("Address already in use")));
    }
}
