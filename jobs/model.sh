#!/usr/bin/env bash
# What a network description builds, layer by layer (docs/models.md):
#   jobs/model.sh summary resnet20 --input 3x32x32 --classes 5
#   jobs/model.sh summary my-net.json
#   jobs/model.sh list
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_built
run_main org.sparkcnn.cli.ModelTool "$@"
