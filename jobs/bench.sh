#!/usr/bin/env bash
# Engine throughput without Spark; --help for the options. The last line is one JSON object.
#   jobs/bench.sh --model convnet --mode train --threads 2 --layers
#   jobs/bench.sh --kernel conv --in 32 --out 64 --size 14 --kernel-size 5
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_built
run_main org.sparkcnn.cli.Bench "$@"
