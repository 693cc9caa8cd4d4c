#!/usr/bin/env bash
# Runs the reference cases under each DIR against the engine: jobs/reference-check.sh DIR...
# Compiles first when target/classes is missing or older than a source file or pom.xml.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 DIR..." >&2
    exit 2
fi

# Resolve DIRs before changing directory, so relative paths mean what the caller meant.
args=()
for d in "$@"; do
    if [ -d "$d" ]; then
        args+=("$(cd "$d" && pwd)")
    else
        args+=("$d")   # ReferenceCheck reports it as missing
    fi
done

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

stamp="target/classes/org/sparkcnn/reference/ReferenceCheck.class"
if [ ! -f "$stamp" ] || [ -n "$(find src/main pom.xml -newer "$stamp" -print -quit)" ]; then
    mvn -q -DskipTests compile >&2
    touch "$stamp"   # an up-to-date build may leave the class file's time alone
fi

exec java -cp target/classes org.sparkcnn.reference.ReferenceCheck "${args[@]}"
