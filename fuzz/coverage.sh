#!/usr/bin/env bash
# coverage.sh: line and branch coverage of src/core reached by the fuzz corpora (clang source-based coverage).
#
#   bash fuzz/coverage.sh [TARGET ...]     (default: every target with a corpus in build/fuzz/corpus)
#
# Replays each corpus once (-runs=0) in a coverage build (build/fuzzcov) and
# prints llvm-cov's report for the core files the targets exercise.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/fuzzcov
corpus=build/fuzz/corpus
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in "$corpus"/*/; do targets+=("$(basename "$d")"); done
fi

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DLESTO_PYTHON=OFF -DLESTO_FUZZ=ON -DLESTO_SANITIZE=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="-fprofile-instr-generate -fcoverage-mapping" \
  -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" >/dev/null
cmake --build "$build" -j 2 --target "${targets[@]/%/_fuzz}" >/dev/null

rm -f "$build"/*.profraw
objects=()
for t in "${targets[@]}"; do
  LLVM_PROFILE_FILE="$build/$t.profraw" "$build/${t}_fuzz" -runs=0 "$corpus/$t" >/dev/null 2>&1
  objects+=(-object "$build/${t}_fuzz")
done
llvm-profdata merge -sparse "$build"/*.profraw -o "$build/all.profdata"
llvm-cov report -instr-profile="$build/all.profdata" "${objects[@]:1}" \
  src/core/parser src/core/pipeline src/core/response src/core/router
