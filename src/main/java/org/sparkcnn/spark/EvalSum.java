package org.sparkcnn.spark;

import org.sparkcnn.data.BadRecordCounts;
import org.sparkcnn.train.Evaluation;

/** Evaluation sums of partitions, added in the fixed order of {@link OrderedSum}. */
public final class EvalSum implements OrderedSum.Summand<EvalSum> {
    private static final long serialVersionUID = 1L;

    public Evaluation evaluation;
    public BadRecordCounts bad;

    public EvalSum() {
    }

    public EvalSum(Evaluation evaluation, BadRecordCounts bad) {
        this.evaluation = evaluation;
        this.bad = bad;
    }

    @Override
    public EvalSum plus(EvalSum right) {
        evaluation.merge(right.evaluation);
        bad.merge(right.bad);
        return this;
    }
}
