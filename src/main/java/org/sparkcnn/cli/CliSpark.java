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

    /** The message of the innermost cause, which names the file, epoch or partition at fault rather than Spark's stage. */
    static String rootMessage(Throwable e) {
        String msg = e.getMessage();
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null) {
                msg = t.getMessage();
            }
        }
        return msg;
    }
}
