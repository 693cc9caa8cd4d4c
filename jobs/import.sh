#!/usr/bin/env bash
# Imports image datasets into sparkcnn's Parquet layout (docs/data.md) as a Spark job.
#   jobs/import.sh fashion-mnist --out data/fashion-mnist
#   jobs/import.sh idx --images FILE --labels FILE --out DIR [--split train] [--classes a,b,...]
#   jobs/import.sh folder --input DIR --out DIR [--channels 1|3|4] [--resize HxW]
#   jobs/import.sh image-source --input DIR --out DIR
# Common: --files N (output files, default 4), --overwrite, --master URL (default local[*]).
# See --help for every option.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_job org.sparkcnn.cli.Import "$@"
