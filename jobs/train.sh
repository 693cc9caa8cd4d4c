#!/usr/bin/env bash
# Trains a zoo model on Parquet image datasets as a Spark job. See --help for every key.
#   jobs/train.sh --config conf/train.properties --set epochs=5 [--resume]
# With SPARK_SUBMIT set (e.g. SPARK_SUBMIT=spark-submit), runs through it with SPARK_SUBMIT_ARGS
# (e.g. "--master spark://host:7077 --executor-cores 2"); otherwise in local mode with plain java.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_built
if [ -n "${SPARK_SUBMIT:-}" ]; then
  jar="$ROOT/target/sparkcnn-classes.jar"
  (cd "$ROOT/target/classes" && jar cf "$jar" .)
  # shellcheck disable=SC2086
  exec "$SPARK_SUBMIT" ${SPARK_SUBMIT_ARGS:-} --class org.sparkcnn.cli.Train \
    --conf spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector \
    --conf spark.driver.extraJavaOptions=--add-modules=jdk.incubator.vector "$jar" "$@"
fi
run_main org.sparkcnn.cli.Train "$@"
