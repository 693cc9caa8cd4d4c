#!/usr/bin/env bash
# sparkcnn vs PyTorch on the reference models, side by side in one run, alternating per model
# (the machine is shared and noisy: ratios from one run are what count).
#   jobs/compare.sh [--models lenet5,convnet,resnet20,inception] [--input 1x28x28] [--threads 2] [--seconds 10]
#   (--input CxSxS: square images of C channels, e.g. 3x32x32 for colour; Fashion-MNIST only at 1x28x28)
# Needs: apt-get install -y python3-torch libopenblas0-pthread dataset-fashion-mnist, and the
# peer script in ../shared/peers (or PEERS=DIR). PyTorch runs in the configuration its README
# gives: its own threads for oneDNN, OpenBLAS on one thread for dense layers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
models=lenet5,convnet,resnet20,inception threads=2 seconds=10 input=1x28x28
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --input) input="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
IFS=x read -r channels size width <<< "$input"
if ! [[ "$channels" =~ ^[0-9]+$ && "$size" =~ ^[0-9]+$ && "$width" == "$size" ]]; then
  echo "error: --input takes CxSxS (square images), e.g. 3x32x32, got '$input'" >&2; exit 2
fi
peers="${PEERS:-$ROOT/../shared/peers}"
if [ ! -f "$peers/torch_bench.py" ]; then
  echo "error: PyTorch peer script not found at $peers/torch_bench.py (set PEERS=DIR)" >&2; exit 2
fi
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "error: Debian's python3-torch is not installed: apt-get install -y python3-torch libopenblas0-pthread" >&2; exit 2
fi
ensure_built
cp="$ROOT/target/classes"; [ -s "$ROOT/target/classpath.txt" ] && cp="$cp:$(cat "$ROOT/target/classpath.txt")"
ours() { java ${JAVA_OPTS:--Xmx4g} --add-modules=jdk.incubator.vector -cp "$cp" org.sparkcnn.cli.Bench \
           --model "$1" --mode "$2" --input "$input" --threads "$threads" --seconds "$seconds" 2>/dev/null | tail -1 \
         | grep -o '"images_per_second":[0-9.]*' | cut -d: -f2; }
theirs() { LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_NUM_THREADS=1 \
           /usr/bin/python3 "$peers/torch_bench.py" model --threads "$threads" --models "$1" \
             --channels "$channels" --size "$size" 2>/dev/null | grep '^RESULT'; }

printf '%-10s %-6s %12s %12s %8s\n' model mode sparkcnn pytorch ratio
IFS=, read -ra list <<< "$models"
for m in "${list[@]}"; do
  t=$(theirs "$m")
  tt=$(echo "$t" | grep 'RESULT train' | grep -o 'img/s median=[0-9]*' | cut -d= -f2)
  ti=$(echo "$t" | grep 'RESULT infer' | grep -o 'img/s median=[0-9]*' | cut -d= -f2)
  ot=$(ours "$m" train); oi=$(ours "$m" infer)
  for row in "train $ot $tt" "infer $oi $ti"; do
    set -- $row
    ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf '%-10s %-6s %12.0f %12.0f %8s\n' "$m" "$1" "$2" "$3" "$ratio"
  done
done
echo "images/s on $input inputs, batch 64 (train) and 256 (infer), $threads threads; ratio = sparkcnn / PyTorch, same run"
