#!/usr/bin/env bash
# Scheduled retraining into a model registry (docs/retraining.md):
#   jobs/retrain.sh --registry models/photos --config conf/train.properties --train data/new --holdout data/holdout
#   jobs/retrain.sh --registry models/photos --list
#   jobs/retrain.sh --help
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_job org.sparkcnn.cli.Retrain "$@"
