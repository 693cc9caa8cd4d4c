package org.sparkcnn.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.sparkcnn.data.BadRecordException;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.MiniBatch;
import org.sparkcnn.data.MiniBatchStream;
import org.sparkcnn.data.ReaderConfig;
import org.sparkcnn.data.parquet.ParquetImageReader;
import org.sparkcnn.tensor.Tensor;

/**
 * Scores image rows with a trained model inside Spark tasks, one output per input row in input
 * order: the rows of a partition stream through mini-batches of the model's input (normalised
 * with the model's own mean and std, so a model is always fed as it was trained), each batch is
 * one forward pass in inference mode, and each row's logits go to an {@link Emit} that makes the
 * caller's output row (Spark ML's vector columns, the predict job's plain Parquet types, the
 * evaluate job's counts). A bad row fails the task naming file, row and column, or under
 * {@code skip} reaches the Emit with its reason instead of logits; at most one batch of rows is
 * held at a time. The model travels as the bytes of its file in one broadcast; executors keep
 * parsed copies between tasks ({@link ExecutorScorers}).
 */
public final class BatchScorer implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Makes the output of one input row from its logits, or from why it could not be scored. */
    public interface Emit<T> extends Serializable {
        /**
         * {@code logits} holds the row's logits (length classes; reused for the next row, so copy
         * what you keep) and {@code bad} is null, or {@code logits} is null and {@code bad} says
         * what is wrong with the row (skip policy only).
         */
        T apply(Row in, float[] logits, BadRecordException bad);
    }

    private final Broadcast<byte[]> model;
    private final String fingerprint, source;
    private final ParquetImageReader reader;
    private final ReaderConfig reading;
    private final int threads;

    private BatchScorer(Broadcast<byte[]> model, String fingerprint, String source, ParquetImageReader reader,
            ReaderConfig reading, int threads) {
        this.model = model;
        this.fingerprint = fingerprint;
        this.source = source;
        this.reader = reader;
        this.reading = reading;
        this.threads = threads;
    }

    /**
     * A scorer of rows of {@code schema} whose image struct is column {@code imageCol}; with a
     * {@code labelCol} rows must carry a label in [0, classes) (evaluation), without one labels are
     * not read. {@code threads} 0 = spark.task.cpus. Broadcasts the model's bytes.
     */
    public static BatchScorer create(JavaSparkContext jsc, TrainedModel model, StructType schema, String imageCol,
            String labelCol, int batchSize, BadRecordPolicy policy, int threads) {
        int[] in = model.inputShape();
        ReaderConfig r = new ReaderConfig(in[0], in[1], in[2], model.classes());
        r.batchSize = batchSize;
        r.mean = model.mean();
        r.std = model.std();
        r.policy = policy;
        r.labelled = labelCol != null;
        r.validate();
        if (threads < 0) {
            throw new IllegalArgumentException("threads = " + threads + " is negative (0 = spark.task.cpus)");
        }
        ParquetImageReader reader = new ParquetImageReader(schema, imageCol, labelCol);
        return new BatchScorer(jsc.broadcast(model.sharedBytes()), model.fingerprint(), model.source(), reader, r,
                threads);
    }

    /** Releases the broadcast model once every job using this scorer has run. */
    public void destroy() {
        model.destroy();
    }

    public int classes() {
        return reading.classes;
    }

    /** The channels the model reads from each image. */
    public int channels() {
        return reading.channels;
    }

    /** The outputs of one partition's rows, lazily, in input order. Executor side. */
    public <T> Iterator<T> score(int partition, Iterator<Row> rows, Emit<T> emit) {
        TaskContext task = TaskContext.get();
        int t = threads > 0 ? threads : task != null ? task.cpus() : 1;
        ExecutorScorers.Copy copy;
        try {
            copy = ExecutorScorers.borrow(fingerprint, model.value(), source, t);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ReaderConfig cfg = reading;
        cfg.partition = partition;
        PartitionScores<T> scores = new PartitionScores<>(rows, copy, cfg, emit);
        if (task != null) {
            task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> scores.release());
        }
        return scores;
    }

    /** The lazy output of one partition: a batch is scored when the rows before it are consumed. */
    private final class PartitionScores<T> implements Iterator<T> {
        private final List<Row> pulled = new ArrayList<>();
        private final List<BadRecordException> problems = new ArrayList<>();
        private final MiniBatchStream batches;
        private final ExecutorScorers.Copy copy;
        private final Emit<T> emit;
        private final float[] logits;
        private Tensor out;
        private int next, slot;
        private boolean released;

        PartitionScores(Iterator<Row> rows, ExecutorScorers.Copy copy, ReaderConfig cfg, Emit<T> emit) {
            Iterator<Row> tap = new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row r = rows.next();
                    pulled.add(r);
                    problems.add(null);
                    return r;
                }
            };
            this.batches = reader.batches(tap, cfg).onSkip(e -> problems.set(problems.size() - 1, e));
            this.copy = copy;
            this.emit = emit;
            this.logits = new float[cfg.classes];
        }

        @Override
        public boolean hasNext() {
            if (next < pulled.size()) {
                return true;
            }
            pulled.clear();
            problems.clear();
            next = 0;
            slot = 0;
            out = null;
            if (!released && batches.hasNext()) {   // pulls the batch's rows, bad ones included
                MiniBatch b = batches.next();
                out = copy.net().forward(b.images, false);
            }
            if (pulled.isEmpty()) {
                release();
                return false;
            }
            return true;
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more rows to score");
            }
            int i = next++;
            BadRecordException bad = problems.get(i);
            if (bad != null) {
                return emit.apply(pulled.get(i), null, bad);
            }
            int k = logits.length;
            System.arraycopy(out.data, out.offset + slot++ * k, logits, 0, k);
            return emit.apply(pulled.get(i), logits, null);
        }

        /** Gives the model copy back once, when the rows are done or the task ends. */
        void release() {
            if (!released) {
                released = true;
                ExecutorScorers.giveBack(fingerprint, copy);
            }
        }
    }
}
