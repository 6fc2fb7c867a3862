#!/usr/bin/env bash
# lint_cpp.sh: the C++ checks (test.sh runs them): clang-format over the project's own C++, a
# -Werror build of core and the binding, and clang-tidy over src/core and src/native; any
# formatting difference, warning or finding fails it.
#
#   bash scripts/lint_cpp.sh     # after scripts/setup.sh: the binding builds against .venv's Python
#
# To format: git ls-files -z -- 'src/*.[ch]pp' 'tests/cpp/*.[ch]pp' 'tests/support/*.[ch]pp' \
#   'fuzz/*.[ch]pp' 'bench/*.[ch]pp' | xargs -0 clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
jobs=$(nproc)

echo "== C++ format ($(clang-format --version | grep -o 'version [0-9.]*'))"
mapfile -t sources < <(git ls-files -- 'src/*.[ch]pp' 'tests/cpp/*.[ch]pp' 'tests/support/*.[ch]pp' \
  'fuzz/*.[ch]pp' 'bench/*.[ch]pp')
clang-format --dry-run -Werror "${sources[@]}"

# The build the wheel makes (Release: -O3 and LTO), with the binding, warnings as errors; its
# compile_commands.json is what clang-tidy reads.
echo "== C++ -Werror build with the binding"
build=build/lint
if [ ! -x .venv/bin/python ]; then
  echo "lint_cpp: no .venv: run scripts/setup.sh first (the binding needs its Python's headers)" >&2
  exit 1
fi
cmake -S . -B "$build" -G Ninja -DLESTO_PYTHON=ON -DLESTO_WERROR=ON \
  -DPython_EXECUTABLE="$PWD/.venv/bin/python" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$jobs"

echo "== clang-tidy ($(clang-tidy --version | grep -o 'version [0-9.]*'))"
mapfile -t units < <(git ls-files -- 'src/core/*.cpp' 'src/native/*.cpp')
# One clang-tidy per translation unit, $jobs at a time; each prints its findings in one piece.
# GCC's -fno-fat-lto-objects is unknown to clang: that warning is not a finding. CPython 3.13's
# headers choose their atomics by compiler and find none for clang-tidy 14: it takes the GCC
# builtins, as the GCC build does.
tidy_one() {
  local out
  if out=$(clang-tidy --quiet -p "$build" --extra-arg=-Wno-ignored-optimization-argument \
    --extra-arg=-D_Py_USE_GCC_BUILTIN_ATOMICS=1 "$1" 2>&1); then
    return 0
  fi
  printf '%s\n' "$out" | grep -v ' warnings\? generated\.$' || true
  return 1
}
export -f tidy_one
export build
if ! printf '%s\n' "${units[@]}" | xargs -P "$jobs" -I{} bash -c 'tidy_one "$1"' _ {}; then
  echo "lint_cpp: clang-tidy has findings (fix them, or NOLINTNEXTLINE(check) with the reason)" >&2
  exit 1
fi
echo "lint_cpp: ${#sources[@]} files formatted, ${#units[@]} clean for clang-tidy ($((SECONDS - start)) s)"
