#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the project's own classpath (no Spark
# installation): a master and workers as separate processes, all bound to 127.0.0.1, their
# logs and pid files under one folder (docs/cluster.md).
#   jobs/cluster.sh start [--dir DIR] [--workers N] [--cores C] [--memory SIZE] [--worker-hosts H1,H2,...]
#                         [--properties-file FILE]
#                                  (default 2 workers, 1 core, 1g, every worker on host 127.0.0.1)
#   jobs/cluster.sh status [--dir DIR]
#   jobs/cluster.sh stop [--dir DIR]
# start and status print the master URL, spark://127.0.0.1:PORT, as their last line; stop ends
# only the processes this folder's pid files name. --worker-hosts gives worker i the i-th name
# (cycling): each must resolve to 127.0.0.1 alone, e.g. 127.0.0.1,localhost, so Spark sees two
# hosts (speculative copies run only on another host) while all traffic stays on loopback.
# Submit to it with, e.g.,
#   SPARK_SUBMIT_ARGS="--master $(jobs/cluster.sh status | tail -1)" jobs/train.sh --config FILE
# --properties-file: Spark settings the master and workers load, e.g. a secured cluster's
# (spark.authenticate and its secret, encryption: docs/cluster.md); a file holding
# spark.authenticate.secret must be readable by its owner only. Jobs then submit with the same
# file: SPARK_SUBMIT_ARGS="--master URL --properties-file FILE".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
cmd="${1:-}"; [ $# -gt 0 ] && shift
DIR="$ROOT/target/cluster"; WORKERS=2; CORES=1; MEMORY=1g; PROPS=; HOSTS=127.0.0.1
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --cores) CORES="$2"; shift 2 ;;
    --memory) MEMORY="$2"; shift 2 ;;
    --properties-file) PROPS="$2"; shift 2 ;;
    --worker-hosts) HOSTS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option '$1' for jobs/cluster.sh $cmd" >&2; usage >&2; exit 2 ;;
  esac
done
case "$cmd" in -h|--help) usage; exit 0 ;; esac
[[ "$WORKERS" =~ ^[1-9][0-9]*$ && "$CORES" =~ ^[1-9][0-9]*$ ]] || { echo "error: --workers and --cores take integers >= 1" >&2; exit 2; }
IFS=, read -r -a HOST_LIST <<< "$HOSTS"
[ ${#HOST_LIST[@]} -gt 0 ] || { echo "error: --worker-hosts takes a comma-separated list of host names" >&2; exit 2; }
for h in "${HOST_LIST[@]}"; do
  [ "$h" = 127.0.0.1 ] && continue
  # loopback only: every address the name resolves to must be 127.0.0.1
  [ "$(getent ahosts "$h" 2>/dev/null | awk '{print $1}' | sort -u | tr '\n' ' ')" = "127.0.0.1 " ] \
    || { echo "error: --worker-hosts: '$h' does not resolve to 127.0.0.1 alone (getent ahosts $h)" >&2; exit 2; }
done

# check_properties: the --properties-file is readable, and a secret in it is its owner's alone.
check_properties() {
  [ -f "$PROPS" ] && [ -r "$PROPS" ] || { echo "error: --properties-file $PROPS: no such readable file" >&2; exit 2; }
  if grep -q -E '^[[:space:]]*spark\.authenticate\.secret[[:space:]=:]' "$PROPS" \
      && [ -n "$(find "$PROPS" -perm /077 -print)" ]; then
    echo "error: --properties-file $PROPS holds spark.authenticate.secret but others may read it (chmod 600 $PROPS)" >&2; exit 2
  fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

status() {
  local ok=0
  for pid in "$DIR"/*.pid; do
    [ -e "$pid" ] || { echo "error: no cluster in $DIR (jobs/cluster.sh start)" >&2; return 1; }
    if alive "$pid"; then echo "$(basename "$pid" .pid): running, pid $(cat "$pid")"; else echo "$(basename "$pid" .pid): not running"; ok=1; fi
  done
  [ $ok -eq 0 ] || { echo "error: part of the cluster in $DIR is down (jobs/cluster.sh stop, then start)" >&2; return 1; }
  cat "$DIR/master.url"
}

stop() {
  local pid
  for pid in "$DIR"/worker-*.pid "$DIR"/master.pid; do
    [ -e "$pid" ] || continue
    if alive "$pid"; then kill "$(cat "$pid")"; fi
  done
  for pid in "$DIR"/worker-*.pid "$DIR"/master.pid; do
    [ -e "$pid" ] || continue
    for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -9 "$(cat "$pid")"; fi
    rm -f "$pid"
  done
  rm -f "$DIR/master.url"
  echo "stopped the cluster in $DIR"
}

# wait_for FILE PATTERN SECONDS: until a line of FILE matches PATTERN; prints it.
wait_for() {
  for _ in $(seq $(( $3 * 10 ))); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "error: no '$2' in $1 after $3 s" >&2; return 1
}

start() {
  if [ -f "$DIR/master.pid" ] && alive "$DIR/master.pid"; then
    echo "error: a cluster already runs in $DIR (jobs/cluster.sh status, or stop)" >&2; exit 2
  fi
  # the daemons load it as Spark's own --properties-file: a secret stays off their command lines
  local daemon_args=()
  if [ -n "$PROPS" ]; then check_properties; daemon_args=(--properties-file "$(cd "$(dirname "$PROPS")" && pwd)/$(basename "$PROPS")"); fi
  ensure_built
  mkdir -p "$DIR/spark-home/jars"
  # a Spark installation made of the Maven build's Spark jars: the workers build executor commands from it
  rm -f "$DIR/spark-home/jars/"*.jar
  tr ':' '\n' < "$ROOT/target/classpath.txt" | grep -v -E 'picocli|tribuo' | while read -r j; do
    [ -n "$j" ] && ln -sf "$j" "$DIR/spark-home/jars/"
  done
  export SPARK_HOME="$DIR/spark-home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
  local java=(java -Xmx512m --add-modules=jdk.incubator.vector $SPARK_OPENS -cp "$SPARK_HOME/jars/*"
    -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -Dsparkcnn.consoleLevel=info)
  : > "$DIR/master.log"
  nohup "${java[@]}" -Dspark.master.rest.enabled=false org.apache.spark.deploy.master.Master "${daemon_args[@]}" \
    --host 127.0.0.1 --port 0 --webui-port 0 > "$DIR/master.log" 2>&1 &
  echo $! > "$DIR/master.pid"
  local url
  url="$(wait_for "$DIR/master.log" 'Starting Spark master at spark://' 60 | grep -o 'spark://[0-9.]*:[0-9]*')" || { stop >&2; exit 1; }
  echo "$url" > "$DIR/master.url"
  for i in $(seq "$WORKERS"); do
    : > "$DIR/worker-$i.log"
    nohup "${java[@]}" org.apache.spark.deploy.worker.Worker "${daemon_args[@]}" --host "${HOST_LIST[$(( (i - 1) % ${#HOST_LIST[@]} ))]}" --port 0 --webui-port 0 \
      --cores "$CORES" --memory "$MEMORY" --work-dir "$DIR/work-$i" "$url" > "$DIR/worker-$i.log" 2>&1 &
    echo $! > "$DIR/worker-$i.pid"
  done
  for i in $(seq "$WORKERS"); do
    wait_for "$DIR/worker-$i.log" 'Successfully registered with master' 60 > /dev/null || { stop >&2; exit 1; }
  done
  echo "master and $WORKERS workers ($CORES core(s), $MEMORY each) on 127.0.0.1 (worker hosts $HOSTS); logs and pid files in $DIR"
  echo "$url"
}

case "$cmd" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  *) echo "error: expected start, status or stop (see --help)" >&2; exit 2 ;;
esac
