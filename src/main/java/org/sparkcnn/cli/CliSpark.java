package org.sparkcnn.cli;

import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** What the Spark mains share: how they get a session and how they report a failed job. */
final class CliSpark {
    private CliSpark() {
    }

    /**
     * A session on {@code master}, or on the one spark-submit gave (or local[*] when started with
     * plain java), with Kryo and our registrator; {@code conf} may add or override settings.
     */
    static SparkSession session(String master, String appName, Map<String, String> conf) {
        SparkSession.Builder b = SparkSession.builder().appName(appName)
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .config("spark.kryo.registrator", "org.sparkcnn.spark.KryoClasses");
        conf.forEach(b::config);
        if (master != null && !master.isEmpty()) {
            b.master(master);
        } else if (System.getProperty("spark.master") == null) {
            b.master("local[*]");
        }
        return b.getOrCreate();
    }

    static SparkSession session(String master, String appName) {
        return session(master, appName, Map.of());
    }

    /**
     * One line for a failure, however deeply Spark wrapped it: the message of the outermost of the
     * project's own exceptions in the cause chain (they name the file, row, epoch or partition at
     * fault), else that of the innermost cause that has one, else the innermost cause's type.
     */
    static String rootMessage(Throwable e) {
        String innermost = null;
        Throwable last = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getClass().getName().startsWith("org.sparkcnn.") && t.getMessage() != null) {
                return oneLine(t.getMessage());
            }
            if (t.getMessage() != null) {
                innermost = t.getMessage();
            }
            last = t;
        }
        if (last.getMessage() == null) {
            return last.getClass().getSimpleName() + (innermost == null ? "" : " (" + oneLine(innermost) + ")");
        }
        return oneLine(innermost);
    }

    private static String oneLine(String msg) {
        int nl = msg.indexOf('\n');
        return (nl < 0 ? msg : msg.substring(0, nl)).strip();
    }
}
