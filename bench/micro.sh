#!/usr/bin/env bash
# micro.sh: instructions per call of one engine part, counted by callgrind.
#
#   bash bench/micro.sh parser|writer|router [ITERATIONS]   (default 2000; 24 calls each)
#
# Builds PART_bench (bench/PART/PART_bench.cpp, Release, build/bench), runs it
# under callgrind for ITERATIONS and 2 x ITERATIONS and prints
# (Ir(2N) - Ir(N)) / (24 N) for each case the driver knows. Only instructions
# inside the part's entry point and what it calls are collected; the
# difference of two runs cancels start-up and exit.
set -euo pipefail
cd "$(dirname "$0")/.."

part=${1:?usage: bash bench/micro.sh parser|writer|router [ITERATIONS]}
n=${2:-2000}
case "$part" in  # entry point collected, the driver's cases, what one call is
  parser) entry='lesto::http::RequestParser::parse*' cases='wrk browser' unit=request ;;
  writer) entry='lesto::http::write_response*' cases='hello native json headers' unit=response ;;
  router) entry='lesto::router::Router::match*' cases='one ten' unit=match ;;
  *) echo "micro.sh: no part '$part' (parser, writer or router)" >&2; exit 2 ;;
esac

build=build/bench
cmake -S . -B "$build" -G Ninja -DLESTO_PYTHON=OFF -DLESTO_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 2 --target "${part}_bench" >/dev/null

instructions() {  # total instructions of one run
  valgrind --tool=callgrind --toggle-collect="$entry" \
    --callgrind-out-file="$build/callgrind.$part.$1.$2" "$build/${part}_bench" "$1" "$2" 2>&1 >/dev/null |
    grep -oE 'Collected : [0-9]+' | grep -oE '[0-9]+$'
}

for kind in $cases; do
  one=$(instructions "$kind" "$n")
  two=$(instructions "$kind" $((2 * n)))
  echo "$kind: $(( (two - one) / (24 * n) )) instructions per $unit"
done
echo "per-function profile: callgrind_annotate $build/callgrind.$part.<case>.$((2 * n))"
