#!/usr/bin/env bash
# Throughput of the Spark job (local[2], 2 partitions, averaging every epoch) against the
# in-process trainer on 2 threads, alternating, one epoch of full Fashion-MNIST each:
#   jobs/compare-spark.sh [--models convnet,resnet20] [--pairs 1]
# Needs data/fashion-mnist (jobs/import.sh fashion-mnist --out data/fashion-mnist).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usage='usage: jobs/compare-spark.sh [--models a,b] [--pairs N]
Images/s of one epoch of Fashion-MNIST: the Spark job (local[2], 2 partitions) against the in-process
trainer on 2 threads, alternating; models default convnet,resnet20, pairs 1. Needs data/fashion-mnist.'
models=convnet,resnet20; pairs=1
# options first, ensure_built after: --help and a bad option never compile the project
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) echo "$usage"; exit 0 ;;
    --models|--pairs)
      if [ $# -lt 2 ]; then echo "error: $1 needs a value" >&2; echo "$usage" >&2; exit 2; fi
      if [ "$1" = --models ]; then models="$2"; else pairs="$2"; fi
      shift 2 ;;
    *) echo "error: unknown argument '$1'" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done
ensure_built
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
# images/s of the first epoch line, excluding evaluation in both
rate() { sed -n 's/^epoch 1\/1 .*images\/s \([0-9.]*\).*/\1/p' | head -1; }
printf '%-10s %5s %14s %14s %7s\n' model pair local_img/s spark_img/s ratio
for m in ${models//,/ }; do
  for p in $(seq 1 "$pairs"); do
    l=$("$ROOT/jobs/train-local.sh" --config "$ROOT/conf/local-train.properties" --set model="$m" --set epochs=1 \
        --set threads=2 --set testLimit=1 2>/dev/null | rate)
    s=$("$ROOT/jobs/train.sh" --config "$ROOT/conf/train.properties" --set model="$m" --set epochs=1 \
        --set validation= --set syncEvery=epoch --set output="$out/$m-$p" 2>/dev/null | rate)
    printf '%-10s %5d %14s %14s %7.3f\n' "$m" "$p" "$l" "$s" "$(awk -v a="$s" -v b="$l" 'BEGIN{print a/b}')"
  done
done
