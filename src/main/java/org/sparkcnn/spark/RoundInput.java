package org.sparkcnn.spark;

import java.io.Serializable;

/** What is broadcast to the executors at the start of a round: the global state and step counters. */
public final class RoundInput implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Parameters, buffers and (when carried) optimiser arrays: a StateVector. */
    public float[] state;
    /** Optimiser steps so far (Adam's bias correction, SGD's first step). */
    public long optimizerSteps;
    /** Global step of the round's first mini-batch (the learning-rate schedule's clock). */
    public long firstStep;

    public RoundInput() {
    }

    public RoundInput(float[] state, long optimizerSteps, long firstStep) {
        this.state = state;
        this.optimizerSteps = optimizerSteps;
        this.firstStep = firstStep;
    }
}
