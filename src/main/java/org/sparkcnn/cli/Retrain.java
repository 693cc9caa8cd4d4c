package org.sparkcnn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.fs.OutputGuard;
import org.sparkcnn.registry.DataFingerprint;
import org.sparkcnn.registry.ModelRegistry;
import org.sparkcnn.registry.PublishRule;
import org.sparkcnn.registry.RegistryEntry;
import org.sparkcnn.registry.RegistryLock;
import org.sparkcnn.spark.CheckpointStore;
import org.sparkcnn.spark.DistributedTrainer;
import org.sparkcnn.spark.EvaluationReport;
import org.sparkcnn.spark.TrainedModel;
import org.sparkcnn.spark.TrainingData;
import org.sparkcnn.spark.TrainingResult;
import org.sparkcnn.train.ClassificationMetrics;
import org.sparkcnn.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jobs/retrain.sh: scheduled retraining into a model registry (docs/retraining.md). */
@Command(name = "jobs/retrain.sh", sortOptions = false, description = {
    "Retrains a model into a model registry folder (any Hadoop path): warm-starts from the champion (or trains from",
    "scratch when there is none or with --from-scratch) on --train with the settings of --config (as jobs/train.sh),",
    "evaluates on the fixed --holdout, and adds a numbered version. The version is published and becomes the",
    "champion when its holdout metric is not worse than the champion's by more than --margin; otherwise it is kept",
    "as a rejected candidate with the reason. The same data (fingerprint) and configuration are trained once: a",
    "second run says so and changes nothing. One run at a time: a second one is refused while the registry's lock",
    "is held (a stale lock of a dead run is removed). A failed run changes nothing. --list prints one JSON object",
    "per version. Models: registry:PATH (the champion) or registry:PATH@N in jobs/predict.sh, evaluate.sh, export.sh.",
    ""})
public final class Retrain {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--registry", required = true, paramLabel = "PATH", description = "the registry folder (any Hadoop path)")
    String registry;

    @Option(names = "--list", description = "print one JSON object per version and exit (needs no other option)")
    boolean list;

    @Option(names = "--config", paramLabel = "FILE", description = "training settings, as for jobs/train.sh (local file)")
    String config;

    @Option(names = "--set", paramLabel = "key=value", description = "override a setting (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--train", paramLabel = "PATH", description = "the training dataset (Parquet, as jobs/import.sh writes)")
    String train;

    @Option(names = "--holdout", paramLabel = "PATH", description = "the fixed labelled holdout dataset every version is measured on")
    String holdout;

    @Option(names = "--metric", paramLabel = "NAME", defaultValue = "accuracy",
            description = "holdout metric compared: accuracy, top_k_accuracy, macro_f1, weighted_f1 or loss (default: ${DEFAULT-VALUE})")
    String metric;

    @Option(names = "--margin", paramLabel = "M", defaultValue = "0.005",
            description = "largest drop of the metric against the champion still published, in its units (default: ${DEFAULT-VALUE})")
    double margin;

    @Option(names = "--from-scratch", description = "train from a fresh initialisation, not from the champion")
    boolean fromScratch;

    @Option(names = "--force", description = "train even when this data and configuration were trained before")
    boolean force;

    @Option(names = "--fingerprint", paramLabel = "metadata|content", defaultValue = "metadata",
            description = "how the data is identified: file sizes and modification times, or SHA-256 of their bytes (default: ${DEFAULT-VALUE})")
    String fingerprint;

    @Option(names = "--lock-timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "a lock without a heartbeat for this long belongs to a dead run (default: ${DEFAULT-VALUE})")
    long lockTimeout;

    @Option(names = "--master", paramLabel = "URL", defaultValue = "",
            description = "Spark master (default: the config's master key, else local[*]; under spark-submit, its own)")
    String master;

    @Option(names = "--verbose", description = "Spark's warnings on the console too, and the stack trace of a failure")
    boolean verbose;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
    boolean help;

    public static void main(String[] args) {
        CliSpark.main(args, Retrain::run);
    }

    static void run(String[] args) throws IOException {
        Retrain r = new Retrain();
        if (CommandLines.parse(r, args)) {
            r.retrain(args);
        }
    }

    private void retrain(String[] args) throws IOException {
        Configuration hadoop = CliSpark.hadoopConf();
        ModelRegistry reg = ModelRegistry.open(registry, hadoop);
        if (list) {
            for (String line : reg.listing()) {
                System.out.println(line);
            }
            return;
        }
        for (String[] required : new String[][] {{"--config", config}, {"--train", train}, {"--holdout", holdout}}) {
            if (required[1] == null) {
                throw new IllegalArgumentException("missing option " + required[0] + " (see --help)");
            }
        }
        PublishRule rule = new PublishRule(metric, margin);
        DataFingerprint.Mode mode = DataFingerprint.Mode.parse(fingerprint, "--fingerprint");
        if (lockTimeout < 1) {
            throw new IllegalArgumentException("--lock-timeout takes a number of seconds >= 1, got " + lockTimeout);
        }
        TrainConfig cfg = TrainConfig.distributed().load(java.nio.file.Path.of(config));
        for (String s : sets) {
            cfg.set(s, "--set");
        }
        cfg.set("train", train, "--train");
        cfg.set("output", "", "jobs/retrain.sh");
        cfg.validateWithoutPaths();
        // every check that needs no Spark comes first: a refused run starts nothing and changes nothing
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("--train", train);
        inputs.put("--holdout", holdout);
        inputs.put("validation", cfg.get("validation"));
        OutputGuard.check("--registry", registry, inputs, hadoop);
        for (Map.Entry<String, String> in : inputs.entrySet()) {
            if (in.getValue().isEmpty()) {
                continue;
            }
            Path p = new Path(in.getValue());
            if (!p.getFileSystem(hadoop).exists(p)) {
                throw new java.io.FileNotFoundException(in.getKey() + " " + in.getValue() + " does not exist");
            }
        }
        try (RegistryLock lock = reg.lock(lockTimeout * 1000, "jobs/retrain.sh " + String.join(" ", args),
                line -> System.err.println("warning: " + line))) {
            reg.recover(lock).forEach(line -> System.err.println("warning: " + line));
            Optional<RegistryEntry> champion = reg.champion();
            if (champion.isPresent() && !fromScratch) {
                cfg.set("initModel", ModelRegistry.PREFIX + reg.root() + "@" + champion.get().version(), "the champion");
            } else if (fromScratch) {
                cfg.set("initModel", "", "--from-scratch");
            }
            String masterUrl = !master.isEmpty() ? master : cfg.get("master");
            java.nio.file.Path log = JobLog.start(JobLog.fileIn(java.nio.file.Path.of("logs"), "retrain"), verbose);
            if (log != null) {
                System.out.println("Spark's log: " + log);
            }
            SparkSession spark = CliSpark.session(masterUrl, "sparkcnn-retrain " + reg.root());
            try {
                retrain(spark, reg, lock, cfg, rule, mode, champion);
            } finally {
                CliSpark.stop(spark);
            }
        }
    }

    private void retrain(SparkSession spark, ModelRegistry reg, RegistryLock lock, TrainConfig cfg, PublishRule rule,
            DataFingerprint.Mode mode, Optional<RegistryEntry> champion) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        TrainingData data = TrainingData.fromPaths(spark, cfg);
        Path trainPath = new Path(train);
        DataFingerprint fp = DataFingerprint.of(trainPath.getFileSystem(conf), trainPath, mode, data.rows());
        String configId = ModelRegistry.configId(cfg.values());
        Optional<RegistryEntry> before = reg.trainedBefore(fp.id(), configId);
        if (before.isPresent() && !force) {
            RegistryEntry b = before.get();
            System.out.println("nothing to do: " + RegistryEntry.folder(b.version()) + " (" + b.status().label()
                    + (b.reason() != null ? ": " + b.reason() : "") + ") was trained on the same data (fingerprint "
                    + fp.id().substring(0, 12) + ", " + fp.files().size() + " files, " + fp.rows() + " rows) with the"
                    + " same configuration; --force trains again");
            return;
        }
        System.out.println(champion.isPresent() && !cfg.get("initModel").isEmpty()
                ? "warm start from the champion " + RegistryEntry.folder(champion.get().version())
                : cfg.get("initModel").isEmpty() ? "training from scratch" : "warm start from " + cfg.get("initModel"));
        System.out.print(cfg.describe());
        TrainingResult result = new DistributedTrainer(cfg, System.out).fit(spark, data, null);
        TrainedModel candidate = TrainedModel.of(result.network(), result.classNames(), result.mean(), result.std(),
                result.modelMeta());
        BadRecordPolicy policy = new BadRecordPolicy();
        policy.onBadRecord = BadRecordPolicy.OnBadRecord.parse(cfg.get("onBadRecord"), "onBadRecord");
        policy.maxBadFraction = cfg.getDouble("maxBadFraction", 0);
        int batch = cfg.getInt("evalBatchSize", 1), threads = cfg.getInt("threads", 0);
        Integer champVersion = champion.map(RegistryEntry::version).orElse(null);
        ModelRegistry.Staged staged = reg.stage(lock);
        String name = ModelRegistry.PREFIX + reg.root() + "@" + staged.version();
        RegistryEntry entry;
        Double champValue = null;
        String reason;
        double value;
        try {
            long t0 = System.nanoTime();
            ClassificationMetrics m = Evaluate.measure(spark, candidate, "--holdout", holdout, policy, batch, threads, 5);
            String report = new EvaluationReport(m, candidate.classNames(), name, holdout, (System.nanoTime() - t0) / 1e9)
                    .json();
            value = rule.valueIn(JSON.readTree(report));
            if (champVersion != null) {
                // measured now, on this holdout: the champion's stored figure may come from an earlier holdout
                TrainedModel champ = TrainedModel.read(ModelRegistry.PREFIX + reg.root() + "@" + champVersion, conf);
                ClassificationMetrics cm = Evaluate.measure(spark, champ, "--holdout", holdout, policy, batch, threads, 5);
                champValue = rule.valueIn(JSON.readTree(new EvaluationReport(cm, champ.classNames(), "champion", holdout,
                        1).json()));
            }
            reason = rule.rejection(value, champVersion, champValue);
            CheckpointStore.writeModel(new Path(staged.dir(), ModelRegistry.MODEL).toString(), conf,
                    out -> out.write(candidate.bytes()));
            reg.write(staged, ModelRegistry.CONFIG, cfg.toProperties().getBytes(StandardCharsets.UTF_8));
            reg.write(staged, ModelRegistry.METRICS, report.getBytes(StandardCharsets.UTF_8));
            reg.write(staged, ModelRegistry.TRAINING_METRICS, (String.join("\n", result.metricsLines()) + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            reg.write(staged, ModelRegistry.FINGERPRINT, JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(fp.json(JSON)));
            Integer warm = !fromScratch && champVersion != null ? champVersion : null;
            org.sparkcnn.util.Faults.driver().pause("retrain-staged"); // docs/reliability.md: written, not yet visible
            entry = reg.commit(staged, new RegistryEntry(staged.version(), reason == null ? RegistryEntry.Status.PUBLISHED
                    : RegistryEntry.Status.REJECTED, rule.metric(), value, champVersion, champValue, rule.margin(), reason,
                    fp.id(), configId, warm, System.currentTimeMillis()), lock);
        } catch (IOException | RuntimeException e) {
            reg.abort(staged);
            throw e;
        }
        org.sparkcnn.util.Faults.driver().pause("retrain-published"); // the lock still held, Spark still running
        String v = RegistryEntry.folder(entry.version());
        String against = champVersion == null ? "the first version" : String.format(Locale.ROOT,
                "champion %s: %.4f, margin %.4f", RegistryEntry.folder(champVersion), champValue, rule.margin());
        if (reason == null) {
            System.out.printf(Locale.ROOT, "published %s as the champion: holdout %s %.4f (%s); model %s%n", v,
                    rule.metric(), value, against, ModelRegistry.PREFIX + reg.root());
        } else {
            System.out.println("rejected " + v + ", kept as a candidate: " + reason + "; the champion stays "
                    + RegistryEntry.folder(champVersion));
        }
    }
}
