#!/usr/bin/env bash
# run.sh: instructions per write_response call, counted by callgrind.
#
#   bash bench/writer/run.sh [ITERATIONS]     (default 2000; each iteration is 24 responses)
#
# Builds writer_bench (Release, build/bench), runs it under callgrind for
# ITERATIONS and 2 x ITERATIONS and prints (Ir(2N) - Ir(N)) / (24 N) for each
# response kind. Only instructions inside write_response and what it calls
# are collected; the difference of two runs cancels start-up and exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${1:-2000}
build=build/bench
cmake -S . -B "$build" -G Ninja -DLESTO_PYTHON=OFF -DLESTO_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 2 --target writer_bench >/dev/null

instructions() {  # total instructions of one run
  valgrind --tool=callgrind --toggle-collect='lesto::http::write_response*' \
    --callgrind-out-file="$build/callgrind.$1.$2" "$build/writer_bench" "$1" "$2" 2>&1 >/dev/null |
    grep -oE 'Collected : [0-9]+' | grep -oE '[0-9]+$'
}

for kind in hello native json headers; do
  one=$(instructions "$kind" "$n")
  two=$(instructions "$kind" $((2 * n)))
  echo "$kind: $(( (two - one) / (24 * n) )) instructions per response"
done
echo "per-function profile: callgrind_annotate $build/callgrind.<kind>.$((2 * n))"
