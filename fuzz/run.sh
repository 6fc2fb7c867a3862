#!/usr/bin/env bash
# run.sh: build the fuzz targets with clang, seed them from tests/cases, run each for SECONDS; exit 1 on any crash.
#
#   bash fuzz/run.sh [SECONDS] [TARGET ...]     (default: 60 seconds, every target)
#
# Targets run one after another on one core. The corpus of each target grows
# in build/fuzz/corpus/<target> across runs; crashes land in
# build/fuzz/artifacts/ (fuzz/README.md says how to turn one into a case).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(parser request connection connection_websocket chunked router writer files websocket)
fi

build=build/fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DLESTO_PYTHON=OFF -DLESTO_FUZZ=ON -DLESTO_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j 2 --target "${targets[@]/%/_fuzz}" >/dev/null
python3 fuzz/make_corpus.py --out "$build/corpus" "${targets[@]}" >/dev/null
mkdir -p "$build/artifacts" "$build/logs"

dict_of() {
  case "$1" in
    connection_websocket) echo fuzz/websocket.dict ;;
    *) if [ -f "fuzz/$1.dict" ]; then echo "fuzz/$1.dict"; else echo fuzz/http.dict; fi ;;
  esac
}

max_len() {
  case "$1" in
    router | writer | request | files) echo 1024 ;;
    *) echo 4096 ;;
  esac
}

failed=0
for t in "${targets[@]}"; do
  log="$build/logs/$t.log"
  before=$(find "$build/artifacts" -name "$t-*" | wc -l)
  status=0
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/${t}_fuzz" "$build/corpus/$t" -dict="$(dict_of "$t")" -max_len="$(max_len "$t")" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" >"$log" 2>&1 || status=$?
  after=$(find "$build/artifacts" -name "$t-*" | wc -l)
  crashes=$((after - before))
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  execs=$(grep -m1 -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo "${last%%[^#0-9]*}")
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
  corpus=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
  verdict=ok
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    verdict=FAILED
    failed=1
  fi
  printf '%-10s %s: %s execs in %ss, cov %s, ft %s, corpus %s, crashes %s\n' \
    "$t" "$verdict" "${execs#\#}" "$seconds" "$cov" "$ft" "$corpus" "$crashes"
  if [ "$verdict" = FAILED ]; then
    grep -E -A4 '^==== invariant broken|^==[0-9]+==ERROR|runtime error' "$log" | head -n 20 || true
    echo "  log: $log; artifacts: $build/artifacts/$t-*"
  fi
done
exit "$failed"
