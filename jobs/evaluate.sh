#!/usr/bin/env bash
# A trained model's accuracy, per-class figures and confusion matrix (docs/inference.md):
#   jobs/evaluate.sh --model runs/lenet5 --input data/fashion-mnist/test --out eval.json
#   jobs/evaluate.sh --help
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_job org.sparkcnn.cli.Evaluate "$@"
