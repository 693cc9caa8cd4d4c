#!/usr/bin/env bash
# A trained model's predictions for new images, as Parquet (docs/inference.md):
#   jobs/predict.sh --model runs/lenet5 --input data/fashion-mnist/test --out predictions --top 3
#   jobs/predict.sh --help
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_job org.sparkcnn.cli.Predict "$@"
