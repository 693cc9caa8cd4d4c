#!/usr/bin/env bash
# Per-round cost of the Spark trainer (broadcast + aggregation + update) against the state size.
#   jobs/bench-rounds.sh --train data/fashion-mnist/train --models lenet5,resnet20,convnet --rounds 20
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_job org.sparkcnn.cli.BenchRounds "$@"
