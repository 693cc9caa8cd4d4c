package org.sparkcnn.util;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Faults injected on purpose by the reliability suite (docs/reliability.md). Every normal run has
 * none. The plan is read once, on the driver, from the system property {@code sparkcnn.faults} or
 * else the environment variable {@code SPARKCNN_FAULTS}: entries separated by {@code ;}, each
 * {@code KIND:ARG:...} as listed in {@link #KINDS}. Faults that act inside tasks travel in the
 * task itself (this record is serialisable): an executor's JVM cannot be given {@code -Dsparkcnn...}
 * options, since Spark refuses any executor option that starts with {@code -Dspark}.
 *
 * <p>A {@code pause:POINT} fault makes the driver, on reaching POINT, create the empty file POINT
 * in the folder named by {@code sparkcnn.faultMarkers} (or {@code SPARKCNN_FAULT_MARKERS}) and wait
 * there to be killed, so a test can SIGKILL it at exactly that point.
 */
public record Faults(List<String[]> entries, String markers) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Each kind and its number of arguments. */
    public static final Map<String, Integer> KINDS = Map.of(
            // the first attempt of partition P's training task throws, in every round
            "fail-first-attempt", 1,
            // the first attempt of partition P's training task sleeps MS milliseconds before it trains
            "slow-first-attempt", 2,
            // every training task waits MS milliseconds after each mini-batch it takes (rounds of a known length on any machine)
            "slow-batches", 1,
            // partition P's training task in epoch E, round R (as the job's messages count them) puts a NaN in its first gradient
            "nan-gradient", 3,
            // the very first attempt of partition P's training task (epoch 1, round 1) waits to be killed
            "hang-first-attempt", 1,
            // the driver stops at POINT (see pause) and waits to be killed
            "pause", 1);

    /** How long a pause waits for its kill before it gives up and fails the job. */
    private static final long PAUSE_MILLIS = 600_000;

    private static volatile Faults driver;

    public static Faults none() {
        return new Faults(List.of(), null);
    }

    /** The driver's plan, from the system property or environment (read once per JVM; see the class comment). */
    public static Faults driver() {
        Faults f = driver;
        if (f == null) {
            String spec = setting("sparkcnn.faults", "SPARKCNN_FAULTS");
            f = spec == null || spec.isBlank() ? none() : parse(spec, setting("sparkcnn.faultMarkers", "SPARKCNN_FAULT_MARKERS"));
            driver = f;
        }
        return f;
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        return v != null ? v : System.getenv(env);
    }

    /** Parses a plan; an unknown kind or a wrong number of arguments is an IllegalArgumentException naming it. */
    public static Faults parse(String spec, String markers) {
        List<String[]> entries = new ArrayList<>();
        for (String entry : spec.split(";")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] words = entry.trim().split(":");
            Integer args = KINDS.get(words[0]);
            if (args == null || words.length - 1 != args) {
                throw new IllegalArgumentException("sparkcnn.faults: '" + entry.trim() + "' is not one of "
                        + new java.util.TreeMap<>(KINDS) + " (kind and number of arguments)");
            }
            entries.add(words);
        }
        return new Faults(List.copyOf(entries), markers);
    }

    /** This plan with one more entry (tests that drive the trainer in their own JVM). */
    public Faults with(String entry) {
        List<String[]> more = new ArrayList<>(entries);
        more.addAll(parse(entry, markers).entries());
        return new Faults(List.copyOf(more), markers);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The arguments of the first entry of this kind whose first argument is {@code first}, or null. */
    private String[] find(String kind, String first) {
        for (String[] e : entries) {
            if (e[0].equals(kind) && e[1].equals(first)) {
                return e;
            }
        }
        return null;
    }

    /** Whether partition {@code p}'s first attempt must throw. */
    public boolean failFirstAttempt(int partition) {
        return find("fail-first-attempt", Integer.toString(partition)) != null;
    }

    /** How long partition {@code p}'s first attempt must sleep before it trains (0: not at all). */
    public long slowFirstAttemptMillis(int partition) {
        String[] e = find("slow-first-attempt", Integer.toString(partition));
        return e == null ? 0 : Long.parseLong(e[2]);
    }

    /** How long every training task waits after each mini-batch it takes (0: not at all). */
    public long slowBatchMillis() {
        for (String[] e : entries) {
            if (e[0].equals("slow-batches")) {
                return Long.parseLong(e[1]);
            }
        }
        return 0;
    }

    /** Whether partition {@code partition}'s task of {@code epoch} and {@code round} (1-based, as messages name them) gets a NaN gradient. */
    public boolean nanGradient(int epoch, int round, int partition) {
        for (String[] e : entries) {
            if (e[0].equals("nan-gradient") && e[1].equals(Integer.toString(epoch)) && e[2].equals(Integer.toString(round))
                    && e[3].equals(Integer.toString(partition))) {
                return true;
            }
        }
        return false;
    }

    /**
     * How long partition {@code p}'s very first attempt waits to be killed with its executor (0: not
     * at all); after {@link #PAUSE_MILLIS} it throws, like {@link #pause}.
     */
    public long hangFirstAttemptMillis(int partition) {
        return find("hang-first-attempt", Integer.toString(partition)) == null ? 0 : PAUSE_MILLIS;
    }

    /**
     * If the plan pauses at {@code point}: creates the marker file and waits to be killed; after
     * {@link #PAUSE_MILLIS} it throws, so a test that forgot its kill fails instead of hanging.
     */
    public void pause(String point) {
        if (find("pause", point) == null) {
            return;
        }
        if (markers == null) {
            throw new IllegalStateException("sparkcnn.faults pauses at " + point + " but sparkcnn.faultMarkers names no folder");
        }
        try {
            Files.createDirectories(Path.of(markers));
            Files.write(Path.of(markers, point), new byte[0]);
            Thread.sleep(PAUSE_MILLIS);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the fault marker " + point + " in " + markers + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("sparkcnn.faults paused at " + point + " and nobody killed the driver");
    }
}
