#!/usr/bin/env bash
# Runs every reference case found under each DIR against the engine:
#   jobs/reference-check.sh DIR...
# Prints PASS/FAIL per case and "N passed, M failed"; exits non-zero on any failure.
# jobs/reference-check.sh --help
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_built
run_main org.sparkcnn.cli.CheckReferences "$@"
