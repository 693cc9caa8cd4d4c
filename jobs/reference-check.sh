#!/usr/bin/env bash
# Runs every reference case found under each DIR against the engine:
#   jobs/reference-check.sh DIR...
# Prints PASS/FAIL per case and "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "$#" -eq 0 ]; then
  echo "usage: jobs/reference-check.sh DIR..." >&2
  exit 2
fi
ensure_built
run_main org.sparkcnn.reference.ReferenceCheck "$@"
