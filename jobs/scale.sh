#!/usr/bin/env bash
# The scale benchmark of docs/reliability.md: one epoch of the Spark job (local[2], 2 GiB heap) on
# Fashion-MNIST's 60,000 training images and on COPIES times as many (jobs/import.sh augment),
# with peak heap, resident memory and Spark's local disk of each, and the ratio of their costs:
#   jobs/scale.sh [--copies 17] [--dir target/scale] [--heap 2g] [--set key=value ...]
# Needs data/fashion-mnist (jobs/import.sh fashion-mnist --out data/fashion-mnist); the large
# dataset is written once under DIR and reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usage='usage: jobs/scale.sh [--copies N] [--dir DIR] [--heap SIZE] [--set key=value ...]
One epoch of conf/train.properties (lenet5, local[2], 2 partitions, no validation) on data/fashion-mnist/train
and on N times as many images (default 17: 1,020,000), with a SIZE heap (default 2g); prints images/s, wall
time, peak heap used, peak RSS and the peak of Spark'"'"'s local folder for each. --set passes on to jobs/train.sh.'
copies=17; dir="$ROOT/target/scale"; heap=2g; sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) echo "$usage"; exit 0 ;;
    --copies|--dir|--heap|--set)
      if [ $# -lt 2 ]; then echo "error: $1 needs a value" >&2; echo "$usage" >&2; exit 2; fi
      case "$1" in --copies) copies="$2" ;; --dir) dir="$2" ;; --heap) heap="$2" ;; --set) sets+=(--set "$2") ;; esac
      shift 2 ;;
    *) echo "error: unknown argument '$1'" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done
[[ "$copies" =~ ^[1-9][0-9]*$ ]] || { echo "error: --copies takes an integer >= 1, got '$copies'" >&2; exit 2; }
base="$ROOT/data/fashion-mnist/train"
[ -d "$base" ] || { echo "error: no $base (jobs/import.sh fashion-mnist --out data/fashion-mnist)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "error: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
mkdir -p "$dir"
big="$dir/fashion-x$copies"
if [ ! -f "$big/_stats.json" ]; then
  echo "writing $big ($copies copies of every image) ..."
  JAVA_OPTS="-Xmx$heap" "$ROOT/jobs/import.sh" augment --input "$base" --copies "$copies" --seed 1 --out "$big" \
    --files $((2 * copies)) --master 'local[2]' --overwrite | tail -2
fi

# one_run NAME DATA: prints "name images img/s wall_s heap_MB rss_MB disk_MB"
one_run() {
  local d="$dir/$1"; rm -rf "$d"; mkdir -p "$d/tmp"
  ( while sleep 2; do du -sk "$d/tmp" 2>/dev/null | cut -f1; done ) > "$d/disk.txt" &
  local mon=$!
  local t0; t0=$(date +%s.%N)
  if ! /usr/bin/time -v -o "$d/time.txt" env JAVA_OPTS="-Xmx$heap -Xlog:gc:file=$d/gc.log -Dspark.local.dir=$d/tmp" \
      "$ROOT/jobs/train.sh" --config "$ROOT/conf/train.properties" --set train="$2" --set validation= --set epochs=1 \
      --set output="$d/run" "${sets[@]}" > "$d/out.txt" 2> "$d/err.txt"; then
    kill "$mon"; echo "error: the run on $2 failed; see $d/err.txt" >&2; tail -3 "$d/err.txt" >&2; exit 1
  fi
  local t1; t1=$(date +%s.%N)
  kill "$mon"
  local rate images heap_mb rss disk
  rate=$(sed -n 's/^epoch 1\/1 .*images\/s \([0-9.]*\).*/\1/p' "$d/out.txt" | head -1)
  images=$(sed -n 's/.*"rows" : \([0-9]*\).*/\1/p' "$2/_stats.json" | head -1)
  heap_mb=$(grep -o '[0-9]*M->' "$d/gc.log" | sed 's/M->//' | sort -n | tail -1)
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$d/time.txt")
  disk=$(sort -n "$d/disk.txt" | tail -1)
  printf '%-12s %9s %9s %8.1f %8s %8d %8d\n' "$1" "$images" "$rate" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')" "${heap_mb:-?}" \
    $((rss / 1024)) $(( ${disk:-0} / 1024 ))
  rm -rf "$d/tmp"
}
printf '%-12s %9s %9s %8s %8s %8s %8s\n' run images img/s wall_s heap_MB rss_MB disk_MB
small=$(one_run base "$base"); echo "$small"
large=$(one_run "x$copies" "$big"); echo "$large"
awk -v a="$small" -v b="$large" 'BEGIN { split(a, s, " +"); split(b, l, " +");
  printf "epoch images/s, large / base: %.3f; wall seconds per image, large / base: %.3f\n", l[3] / s[3], (l[4] / l[2]) / (s[4] / s[2]) }'
