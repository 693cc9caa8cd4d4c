# Shared by the jobs/*.sh scripts: locate the project, compile it when sources changed,
# and run a main class from target/classes with plain java (no Spark installation needed).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ensure_built() {
  local stamp="$ROOT/target/classes/.built"
  if [ ! -f "$stamp" ] || [ -n "$(find "$ROOT/src/main" "$ROOT/conf/models" "$ROOT/pom.xml" -newer "$stamp" -print -quit)" ]; then
    (cd "$ROOT" && mvn -B -q -DskipTests compile) >&2 || { echo "error: build failed (mvn compile in $ROOT)" >&2; exit 2; }
    touch "$stamp"
  fi
}

# The --add-opens Spark 4 needs on Java 17 when started by plain java (spark-submit adds them).
SPARK_OPENS="$(for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util \
  java.util.concurrent java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action \
  sun.util.calendar; do printf -- '--add-opens=java.base/%s=ALL-UNNAMED ' "$p"; done) -Dio.netty.tryReflectionSetAccessible=true"

# run_main CLASS ARGS...: JAVA_OPTS sets the heap and other JVM options (default 4 GiB).
# The Vector API module is always added (the kernels need it), and Spark's module flags; the
# classpath holds the project and its dependencies, Spark's jars included (no installation needed).
# Plain java means local mode: Spark binds to loopback (a default run never uses the machine's
# external interface); spark-submit runs leave SPARK_LOCAL_IP to the cluster's settings.
run_main() {
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  local cp="$ROOT/target/classes"
  if [ -s "$ROOT/target/classpath.txt" ]; then cp="$cp:$(cat "$ROOT/target/classpath.txt")"; fi
  # shellcheck disable=SC2086
  exec java ${JAVA_OPTS:--Xmx4g} --add-modules=jdk.incubator.vector $SPARK_OPENS \
    -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -cp "$cp" "$@"
}

# The application jar that mvn package builds (Spark, Hadoop and the rest provided by the cluster).
app_jar() {
  local version
  version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' "$ROOT/pom.xml" | head -1)"
  echo "$ROOT/target/sparkcnn-$version.jar"
}

# The spark-submit to use: $SPARK_SUBMIT, else $SPARK_HOME/bin/spark-submit, else one on the PATH;
# empty when there is none (or SPARKCNN_LOCAL=1 asks for plain java).
find_spark_submit() {
  if [ "${SPARKCNN_LOCAL:-}" = "1" ]; then return; fi
  if [ -n "${SPARK_SUBMIT:-}" ]; then echo "$SPARK_SUBMIT"; return; fi
  if [ -n "${SPARK_HOME:-}" ] && [ -x "$SPARK_HOME/bin/spark-submit" ]; then echo "$SPARK_HOME/bin/spark-submit"; return; fi
  command -v spark-submit || true
}

# run_job CLASS ARGS...: a Spark job. With a spark-submit (find_spark_submit) the application jar
# is built when sources changed (mvn package) and submitted in client mode with the Vector API
# module and our log configuration for driver (conf/log4j2.properties) and executors
# (conf/log4j2-executor.properties: read when the executor JVM starts, so by this checkout's path,
# which executors on this machine or on a shared file system can read), then SPARK_SUBMIT_ARGS (e.g.
# "--master spark://host:7077 --executor-cores 2") untouched: given later, its settings win.
# Otherwise run_main: local mode with plain java.
run_job() {
  local class="$1"; shift
  local submit; submit="$(find_spark_submit)"
  if [ -z "$submit" ]; then
    ensure_built
    run_main "$class" "$@"
  fi
  local jar; jar="$(app_jar)"
  if [ ! -f "$jar" ] || [ -n "$(find "$ROOT/src/main" "$ROOT/conf/models" "$ROOT/pom.xml" -newer "$jar" -print -quit)" ]; then
    (cd "$ROOT" && mvn -B -q -DskipTests package) >&2 || { echo "error: build failed (mvn package in $ROOT)" >&2; exit 2; }
  fi
  # shellcheck disable=SC2086
  exec "$submit" \
    --conf "spark.driver.extraJavaOptions=--add-modules=jdk.incubator.vector -Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties" \
    --conf "spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector -Dlog4j2.configurationFile=$ROOT/conf/log4j2-executor.properties" \
    ${SPARK_SUBMIT_ARGS:-} --class "$class" "$jar" "$@"
}
