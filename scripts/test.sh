#!/usr/bin/env bash
# test.sh: set everything up, then run every test: C++ (plain and ASan+UBSan), the fuzzers
# (LESTO_FUZZ_SECONDS each, default 60), the C++ lint (scripts/lint_cpp.sh), ruff, mypy --strict
# on src/lesto, and Python.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc)
for variant in release asan; do
  flags=(-DLESTO_PYTHON=OFF -DLESTO_TESTS=ON -DLESTO_WERROR=ON)
  if [ "$variant" = asan ]; then
    flags+=(-DLESTO_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  else
    flags+=(-DCMAKE_BUILD_TYPE=Release)
  fi
  echo "== C++ tests ($variant)"
  cmake -S . -B "build/tests-$variant" -G Ninja "${flags[@]}" >/dev/null
  cmake --build "build/tests-$variant" -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build/tests-$variant/lesto_tests" --gtest_brief=1
done

echo "== fuzzing (${LESTO_FUZZ_SECONDS:-60} s per target)"
bash fuzz/run.sh "${LESTO_FUZZ_SECONDS:-60}"

bash scripts/lint_cpp.sh

echo "== Python lint"
.venv/bin/ruff check src tests examples bench fuzz

echo "== Python types (mypy --strict, configured in pyproject.toml)"
.venv/bin/python -m mypy

echo "== Python tests ($(.venv/bin/python --version))"
.venv/bin/python -m pytest -q "$@"

# The oldest and the newest Python the package claims, each in a venv of its own with a plain
# build: the binding relies on CPython details (refcounts, its C API) that differ between them.
for version in ${LESTO_OTHER_PYTHONS-3.10 3.13}; do
  if ! python=$(bash scripts/find_python.sh "$version"); then
    echo "== Python tests on $version: skipped, no python$version on the PATH or in pyenv" >&2
    continue
  fi
  echo "== Python tests ($("$python" --version))"
  venv=.venv-$version
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip "scikit-build-core>=0.10"
  "$venv/bin/python" -m pip install -q --no-build-isolation -C build-dir="build/py$version" ".[test,testing]"
  "$venv/bin/python" -m pytest -q "$@"
done
