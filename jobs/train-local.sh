#!/usr/bin/env bash
# Trains a zoo model on Fashion-MNIST in one JVM. See --help for every key.
#   jobs/train-local.sh --config conf/local-train.properties --set model=convnet
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_built
run_main org.sparkcnn.cli.TrainLocal "$@"
