package org.sparkcnn.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/** What the Spark mains share: how they get a session and how they report a failed job. */
final class CliSpark {
    /** conf/spark-defaults.conf, bundled on the classpath by the build. */
    static final String DEFAULTS_RESOURCE = "/org/sparkcnn/spark-defaults.conf";
    /** The settings of that file that apply in local mode only: loopback and no web UI. */
    static final Set<String> LOCAL_ONLY = Set.of("spark.driver.bindAddress", "spark.driver.host", "spark.ui.enabled");

    /** A main's work; its exceptions become one error line and an exit code ({@link #execute}). */
    @FunctionalInterface
    interface Job {
        void run(String[] args) throws Exception;
    }

    private CliSpark() {
    }

    /**
     * A session on {@code master}, or on the one spark-submit gave (or local[*] when started with
     * plain java), starting from conf/spark-defaults.conf (Kryo and our registrator, and in local
     * mode loopback addresses and no UI): each of its settings applies unless already given as a
     * system property, which is how spark-submit's --conf, --properties-file and the cluster's
     * defaults arrive (and {@code -Dspark.ui.enabled=true} for plain java). {@code conf} may add or
     * override settings. On a cluster the cluster's settings rule.
     */
    static SparkSession session(String master, String appName, Map<String, String> conf) {
        SparkSession.Builder b = SparkSession.builder().appName(appName);
        String resolved = master != null && !master.isEmpty() ? master : System.getProperty("spark.master", "local[*]");
        defaults(resolved.startsWith("local")).forEach((k, v) -> {
            if (System.getProperty(k) == null) {
                b.config(k, v);
            }
        });
        conf.forEach(b::config);
        b.master(resolved);
        SparkSession spark;
        try {
            spark = b.getOrCreate();
        } catch (Exception e) { // SparkException is checked, thrown from Scala undeclared
            if (String.valueOf(e.getMessage()).contains("Master URL")) {
                throw new IllegalArgumentException("master = " + resolved + ": " + rootMessage(e));
            }
            if (resolved.startsWith("spark://") && stoppedWhileStarting(e)) {
                throw unregistered(resolved);
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException("cannot start Spark on " + resolved, e);
        }
        // A standalone master that never registered the application (down, or secured and refusing
        // it) leaves Spark's placeholder id and a context being stopped (which may fail getOrCreate
        // itself, above): say so, not the next call's "stopped SparkContext".
        if (resolved.startsWith("spark://") && (spark.sparkContext().isStopped()
                || spark.sparkContext().applicationId().startsWith("spark-application-"))) {
            spark.stop();
            throw unregistered(resolved);
        }
        if (!resolved.startsWith("local") && "127.0.0.1".equals(System.getenv("SPARK_LOCAL_IP"))
                && System.getProperty("spark.submit.deployMode") == null) {
            System.err.println("warning: master " + resolved + " is not local but SPARK_LOCAL_IP is 127.0.0.1 (the default"
                    + " of jobs/*.sh): executors on other machines cannot reach this driver; run under spark-submit"
                    + " (SPARK_SUBMIT=spark-submit) or set SPARK_LOCAL_IP to this machine's address");
        }
        return spark;
    }

    /**
     * Whether getOrCreate failed because the scheduler backend, giving up on the master, stopped the
     * context from its own thread while the constructor still ran: the constructor then meets
     * "stopped SparkContext", or a field stop() has just cleared (a NullPointerException inside
     * SparkContext, e.g. on _taskScheduler), depending on how far it had got.
     */
    static boolean stoppedWhileStarting(Throwable e) {
        if (rootMessage(e).contains("stopped SparkContext")) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof NullPointerException && t.getStackTrace().length > 0
                    && t.getStackTrace()[0].getClassName().startsWith("org.apache.spark.SparkContext")) {
                return true;
            }
        }
        return false;
    }

    private static IllegalStateException unregistered(String master) {
        return new IllegalStateException("the master " + master + " did not register this application: it is not"
                + " running, or it is secured and refused it (submit with the cluster's spark.authenticate.secret:"
                + " docs/cluster.md)");
    }

    /**
     * Stops the session once no task runs any more. After a failed job Spark kills the stage's
     * other tasks, which end at their next row; stopping before they have would make their
     * completion callbacks hit a pool already shut down, and Scala print those stack traces on
     * stderr. Waits at most {@code STOP_WAIT_MS}.
     */
    static void stop(SparkSession spark) {
        org.apache.spark.SparkContext sc = spark.sparkContext();
        if (!sc.isStopped()) {
            sc.cancelAllJobs();
            long deadline = System.nanoTime() + STOP_WAIT_MS * 1_000_000L;
            while (running(sc) > 0 && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        spark.stop();
    }

    static final long STOP_WAIT_MS = 30_000;

    private static int running(org.apache.spark.SparkContext sc) {
        int n = 0;
        for (org.apache.spark.SparkExecutorInfo e : sc.statusTracker().getExecutorInfos()) {
            n += e.numRunningTasks();
        }
        return n;
    }

    /** The settings of conf/spark-defaults.conf for a local or a cluster master, in the file's order of keys. */
    static Map<String, String> defaults(boolean local) {
        Properties p = new Properties();
        try (InputStream in = CliSpark.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULTS_RESOURCE + " is not on the classpath: the build bundles it from"
                        + " conf/spark-defaults.conf (mvn compile)");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DEFAULTS_RESOURCE, e);
        }
        Map<String, String> out = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            if (local || !LOCAL_ONLY.contains(k)) {
                out.put(k, p.getProperty(k).strip());
            }
        }
        return out;
    }

    static SparkSession session(String master, String appName) {
        return session(master, appName, Map.of());
    }

    /**
     * The Hadoop configuration a job's checks use before Spark starts: the cluster's
     * (core-site.xml on the classpath) plus the {@code spark.hadoop.*} settings spark-submit passes
     * as system properties, as Spark itself would build it.
     */
    static Configuration hadoopConf() {
        Configuration c = new Configuration();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("spark.hadoop."))
                .forEach(k -> c.set(k.substring("spark.hadoop.".length()), System.getProperty(k)));
        return c;
    }

    /** Runs a main's job and exits with its code: 0, 1 (data or runtime) or 2 (usage or configuration). */
    static void main(String[] args, Job job) {
        int code = execute(args, job);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs the job; a failure is one {@code error:} line on stderr (naming Spark's log file when the
     * failure came from a run, and followed by the stack trace with {@code --verbose}); returns the exit code.
     */
    static int execute(String[] args, Job job) {
        try {
            job.run(args);
            return 0;
        } catch (Exception e) {
            int code = exitCode(e);
            String log = code == 1 && JobLog.current() != null ? " (Spark's log: " + JobLog.current() + ")" : "";
            System.err.println("error: " + rootMessage(e) + log);
            if (Arrays.asList(args).contains("--verbose")) {
                e.printStackTrace();
            }
            return code;
        }
    }

    /** 2 for what the user must change in the command or configuration, 1 for the rest. */
    static int exitCode(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof NoSuchFileException
                || e instanceof FileNotFoundException ? 2 : 1;
    }

    /**
     * One line for a failure, however deeply Spark wrapped it: the message of the outermost of the
     * project's own exceptions in the cause chain (they name the file, row, epoch or partition at
     * fault); else of the outermost exception that is not Spark's or Scala's wrapping (Spark's
     * stage failure repeats the task's whole stack trace); else of the innermost cause, or its type.
     */
    static String rootMessage(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        for (Throwable t : chain) {
            if (t instanceof FileSystemException f) { // its message is the bare path
                return fileProblem(f) + ": " + f.getFile() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
            }
            if (t.getClass().getName().startsWith("org.sparkcnn.") && t.getMessage() != null) {
                return oneLine(t.getMessage());
            }
        }
        for (Throwable t : chain) {
            String type = t.getClass().getName();
            boolean wrapper = type.startsWith("org.apache.spark.") || type.startsWith("scala.")
                    || t instanceof java.util.concurrent.ExecutionException
                    || t instanceof java.lang.reflect.InvocationTargetException;
            if (!wrapper && t.getMessage() != null) {
                return oneLine(t.getMessage());
            }
        }
        Throwable last = chain.get(chain.size() - 1);
        for (int i = chain.size() - 1; i >= 0; i--) {
            if (chain.get(i).getMessage() != null) {
                String msg = oneLine(chain.get(i).getMessage());
                return last.getMessage() == null ? last.getClass().getSimpleName() + " (" + msg + ")" : msg;
            }
        }
        return last.getClass().getSimpleName();
    }

    private static String fileProblem(FileSystemException f) {
        return f instanceof NoSuchFileException ? "no such file" : f instanceof FileAlreadyExistsException
                ? "a file is in the way" : f instanceof AccessDeniedException ? "permission denied" : "cannot use";
    }

    private static String oneLine(String msg) {
        int nl = msg.indexOf('\n');
        return (nl < 0 ? msg : msg.substring(0, nl)).strip();
    }
}
