#!/usr/bin/env bash
# run.sh: instructions per request of RequestParser::parse, counted by callgrind.
#
#   bash bench/parser/run.sh [ITERATIONS]     (default 2000; each iteration is 24 requests)
#
# Builds parser_bench (Release, build/bench), runs it under callgrind for
# ITERATIONS and 2 x ITERATIONS and prints (Ir(2N) - Ir(N)) / (24 N) for each
# request kind. Only instructions inside RequestParser::parse and what it
# calls are collected (the driver's loop is not the parser); the difference
# of two runs cancels whatever is left of start-up and exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${1:-2000}
build=build/bench
cmake -S . -B "$build" -G Ninja -DLESTO_PYTHON=OFF -DLESTO_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 2 --target parser_bench >/dev/null

instructions() {  # total instructions of one run
  valgrind --tool=callgrind --toggle-collect='lesto::http::RequestParser::parse*' \
    --callgrind-out-file="$build/callgrind.$1.$2" "$build/parser_bench" "$1" "$2" 2>&1 >/dev/null |
    grep -oE 'Collected : [0-9]+' | grep -oE '[0-9]+$'
}

for kind in wrk browser; do
  one=$(instructions "$kind" "$n")
  two=$(instructions "$kind" $((2 * n)))
  echo "$kind: $(( (two - one) / (24 * n) )) instructions per request"
done
echo "per-function profile: callgrind_annotate $build/callgrind.<kind>.$((2 * n))"
