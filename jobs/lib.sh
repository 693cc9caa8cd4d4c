# Shared by the jobs/*.sh scripts: locate the project, compile it when sources changed,
# and run a main class from target/classes with plain java (no Spark installation needed).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ensure_built() {
  local stamp="$ROOT/target/classes/.built"
  if [ ! -f "$stamp" ] || [ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$stamp" -print -quit)" ]; then
    (cd "$ROOT" && mvn -B -q -DskipTests compile) >&2 || { echo "error: build failed (mvn compile in $ROOT)" >&2; exit 2; }
    touch "$stamp"
  fi
}

# run_main CLASS ARGS...: JAVA_OPTS sets the heap and other JVM options (default 4 GiB).
# The Vector API module is always added: kernel/Gemm needs it.
run_main() {
  local cp="$ROOT/target/classes"
  if [ -s "$ROOT/target/classpath.txt" ]; then cp="$cp:$(cat "$ROOT/target/classpath.txt")"; fi
  exec java ${JAVA_OPTS:--Xmx4g} --add-modules=jdk.incubator.vector -cp "$cp" "$@"
}
