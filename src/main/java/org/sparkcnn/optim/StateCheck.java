package org.sparkcnn.optim;

import java.util.List;
import org.sparkcnn.layer.Param;

/** Checks optimiser state handed to {@link Optimizer#restore} against the parameters it belongs to. */
final class StateCheck {
    private StateCheck() {
    }

    /** {@code perParam} arrays per parameter (in parameter order, each of its size), for the first {@code count} parameters. */
    static void arrays(String optimizer, List<Param> params, List<float[]> state, int count, int perParam) {
        int want = count * perParam;
        if (state.size() != want) {
            throw new IllegalArgumentException(optimizer + " state: expected " + want + " arrays for " + count
                    + " parameters, got " + state.size());
        }
        for (int i = 0; i < state.size(); i++) {
            Param p = params.get(i / perParam);
            if (state.get(i).length != p.value.size()) {
                throw new IllegalArgumentException(optimizer + " state: array " + i + " for parameter '" + p.name
                        + "' holds " + state.get(i).length + " values, expected " + p.value.size());
            }
        }
    }
}
