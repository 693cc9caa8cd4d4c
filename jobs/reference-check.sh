#!/usr/bin/env bash
# Runs every reference case found under each DIR against the engine:
#   jobs/reference-check.sh DIR...
# Prints PASS/FAIL per case and "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usage='usage: jobs/reference-check.sh DIR...
Runs every reference case (a folder with case.json) found under each DIR against the engine;
prints PASS name / FAIL name: ... per case, then "N passed, M failed"; exits non-zero on any failure.'
# before ensure_built: asking for help never compiles the project
for a in "$@"; do
  case "$a" in
    -h|--help) echo "$usage"; exit 0 ;;
    -*) echo "error: unknown option '$a'" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done
if [ "$#" -eq 0 ]; then
  echo "$usage" >&2
  exit 2
fi
ensure_built
run_main org.sparkcnn.reference.ReferenceCheck "$@"
