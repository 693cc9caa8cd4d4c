package org.sparkcnn.spark;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.sparkcnn.data.MiniBatch;
import org.sparkcnn.data.MiniBatchStream;
import org.sparkcnn.data.ReaderConfig;
import org.sparkcnn.data.parquet.ParquetImageReader;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.model.Network;
import org.sparkcnn.train.Evaluation;
import org.sparkcnn.train.PartitionTrainer;
import org.sparkcnn.train.TrainConfig;

/**
 * The tasks a run sends to executors, one per partition: training one round, and evaluating the
 * validation set. Task closures go through Java serialisation, so these are small
 * {@code Serializable} holders of everything the task needs.
 */
final class PartitionTasks {
    private PartitionTasks() {
    }

    /** What both kinds of task carry: the broadcast state, how to read rows, and the settings. */
    abstract static class PartitionTask<T> implements Function2<Integer, Iterator<Row>, Iterator<T>>, Serializable {
        private static final long serialVersionUID = 1L;
        final Broadcast<RoundInput> input;
        final ParquetImageReader reader;
        final ReaderConfig reading;
        final LinkedHashMap<String, String> values;
        final ModelSpec spec;
        final int partitions;

        PartitionTask(Broadcast<RoundInput> input, ParquetImageReader reader, ReaderConfig reading,
                LinkedHashMap<String, String> values, ModelSpec spec, int partitions) {
            this.input = input;
            this.spec = spec;
            this.reader = reader;
            this.reading = reading;
            this.values = values;
            this.partitions = partitions;
        }

        /** The partition's result as a leaf of the ordered sum, placed for treeAggregate's grouping. */
        <S extends OrderedSum.Summand<S>> Iterator<OrderedSum<S>> leaf(int partition, S value) {
            int depth = Integer.parseInt(values.get("treeDepth"));
            return Collections.singletonList(OrderedSum.of(OrderedSum.leafOf(partition, partitions, depth), value)).iterator();
        }
    }

    /** The training task of one partition in one round: everything it needs travels in its fields. */
    static final class TrainPartition extends PartitionTask<OrderedSum<TrainSum>> {
        private static final long serialVersionUID = 1L;
        private final int epoch, round, syncEvery;
        private final org.sparkcnn.util.Faults faults;
        private final long stepsPerEpoch;
        private final double lrFactor;
        /** Images trained so far, for progress lines only (null: none); nothing computed reads it. */
        private final org.apache.spark.util.LongAccumulator progress;

        TrainPartition(Broadcast<RoundInput> input, ParquetImageReader reader, ReaderConfig reading,
                LinkedHashMap<String, String> values, ModelSpec spec, int partitions, int epoch, int round, int syncEvery,
                long stepsPerEpoch, double lrFactor, org.sparkcnn.util.Faults faults, org.apache.spark.util.LongAccumulator progress) {
            super(input, reader, reading, values, spec, partitions);
            this.progress = progress;
            this.epoch = epoch;
            this.round = round;
            this.syncEvery = syncEvery;
            this.stepsPerEpoch = stepsPerEpoch;
            this.lrFactor = lrFactor;
            this.faults = faults;
        }

        @Override
        public Iterator<OrderedSum<TrainSum>> call(Integer partition, Iterator<Row> rows) {
            TaskContext task = TaskContext.get();
            if (task != null && task.attemptNumber() == 0) {
                if (faults.failFirstAttempt(partition)) {
                    throw new IllegalStateException("injected failure: first attempt of partition " + partition);
                }
                sleep(faults.slowFirstAttemptMillis(partition));
                if (epoch == 0 && round == 0 && task.stageAttemptNumber() == 0 && faults.hangFirstAttemptMillis(partition) > 0) {
                    sleep(faults.hangFirstAttemptMillis(partition));
                    throw new IllegalStateException("hang-first-attempt: nobody killed the executor of partition " + partition);
                }
            }
            TrainConfig cfg = TrainConfig.distributed(values);
            reading.epoch = epoch;
            reading.partition = partition;
            MiniBatchStream batches = reader.batches(rows, reading);
            if (syncEvery > 0) {
                batches.skip(round * syncEvery);
            }
            int limit = syncEvery == 0 ? Integer.MAX_VALUE : syncEvery;
            RoundInput in = input.value();
            String where = "epoch " + (epoch + 1) + ", round " + (round + 1) + ", partition " + partition;
            PartitionTrainer trainer = ExecutorModels.borrow(cfg, spec);
            try {
                if (faults.nanGradient(epoch + 1, round + 1, partition)) {
                    trainer.injectNanGradient();
                }
                PartitionTrainer.Result r = trainer.train(in.state, in.optimizerSteps, in.firstStep,
                        cfg.schedule(stepsPerEpoch, lrFactor), counted(batches, progress, faults.slowBatchMillis()), limit, DistributedTrainer.seedOf(reading.seed, epoch, round, partition),
                        where);
                boolean more = syncEvery > 0 && r.batches == limit;
                return leaf(partition, TrainSum.of(r, more, batches.counts()));
            } finally {
                ExecutorModels.giveBack(cfg, spec, trainer);
            }
        }
    }

    /** An injected wait (slow-first-attempt, slow-batches); interrupted when Spark kills the attempt. */
    private static void sleep(long millis) {
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("injected wait interrupted", e);
            }
        }
    }

    /**
     * The batches, each counted into the progress accumulator as it is taken (when there is one),
     * then held back {@code waitMillis} (an injected slow-batches fault).
     */
    private static Iterator<MiniBatch> counted(Iterator<MiniBatch> batches, org.apache.spark.util.LongAccumulator images,
            long waitMillis) {
        if (images == null && waitMillis == 0) {
            return batches;
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return batches.hasNext();
            }

            @Override
            public MiniBatch next() {
                MiniBatch b = batches.next();
                if (images != null) {
                    images.add(b.size());
                }
                sleep(waitMillis);
                return b;
            }
        };
    }

    /** Evaluation of one validation partition with the broadcast state. */
    static final class EvalPartition extends PartitionTask<OrderedSum<EvalSum>> {
        private static final long serialVersionUID = 1L;

        EvalPartition(Broadcast<RoundInput> input, ParquetImageReader reader, ReaderConfig reading,
                LinkedHashMap<String, String> values, ModelSpec spec, int partitions) {
            super(input, reader, reading, values, spec, partitions);
        }

        @Override
        public Iterator<OrderedSum<EvalSum>> call(Integer partition, Iterator<Row> rows) {
            TrainConfig cfg = TrainConfig.distributed(values);
            reading.partition = partition;
            MiniBatchStream batches = reader.batches(rows, reading);
            RoundInput in = input.value();
            PartitionTrainer trainer = ExecutorModels.borrow(cfg, spec);
            try {
                trainer.stateVector().scatter(in.state, in.optimizerSteps);
                Network model = trainer.network();
                Evaluation eval = new Evaluation(model.classes());
                int[] labels = new int[0];
                while (batches.hasNext()) {
                    MiniBatch b = batches.next();
                    if (labels.length != b.size()) {
                        labels = new int[b.size()];
                    }
                    System.arraycopy(b.labels, 0, labels, 0, b.size());
                    eval.add(model, b.images, labels);
                }
                return leaf(partition, new EvalSum(eval, batches.counts()));
            } finally {
                ExecutorModels.giveBack(cfg, spec, trainer);
            }
        }
    }
}
