#!/usr/bin/env bash
# Trains a zoo model on Parquet image datasets as a Spark job. See --help for every key.
#   jobs/train.sh --config conf/train.properties --set epochs=5 [--resume]
# With a spark-submit ($SPARK_SUBMIT, $SPARK_HOME/bin or the PATH) it submits the application jar
# (mvn package) with SPARK_SUBMIT_ARGS (e.g. "--master spark://host:7077 --executor-cores 2");
# otherwise (or with SPARKCNN_LOCAL=1) it runs in local mode with plain java.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_job org.sparkcnn.cli.Train "$@"
