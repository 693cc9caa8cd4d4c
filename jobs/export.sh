#!/usr/bin/env bash
# A trained model as an ONNX file for inference (docs/onnx.md):
#   jobs/export.sh --model runs/NAME --out NAME.onnx [--overwrite]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_built
run_main org.sparkcnn.cli.Export "$@"
