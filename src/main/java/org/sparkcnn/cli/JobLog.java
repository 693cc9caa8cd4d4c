package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;

/**
 * Where Spark's own logging goes when a job runs from jobs/*.sh: into one file per run, and onto
 * the console only with {@code --verbose}, so that a user sees the job's own lines and one
 * {@code error:} line, not hundreds of Spark log lines. conf/log4j2.properties reads the two
 * system properties set here. Under spark-submit or in tests another log configuration is in force
 * (it has no appender of ours): then nothing changes.
 */
final class JobLog {
    static final String FILE_PROPERTY = "sparkcnn.logFile";
    static final String CONSOLE_PROPERTY = "sparkcnn.consoleLevel";
    /** The name of the file appender in conf/log4j2.properties. */
    static final String APPENDER = "sparkcnn-file";
    private static volatile Path current;

    private JobLog() {
    }

    /** {@code <dir>/<job>-<date>-<time>.log}: one per run, so a resumed run keeps the earlier log. */
    static Path fileIn(Path dir, String job) {
        return dir.resolve(job + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".log");
    }

    /**
     * Sends Spark's log to {@code file} (its folder is created), and its warnings to stderr too
     * when {@code verbose}; returns the file, or null when another log configuration rules.
     */
    static Path start(Path file, boolean verbose) throws IOException {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        if (ctx.getConfiguration().getAppender(APPENDER) == null) {
            return null;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        System.setProperty(FILE_PROPERTY, file.toString());
        System.setProperty(CONSOLE_PROPERTY, verbose ? "warn" : "off");
        ctx.reconfigure();
        current = file;
        return file;
    }

    /** The log file of this run, or null. */
    static Path current() {
        return current;
    }
}
