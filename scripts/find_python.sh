#!/usr/bin/env bash
# find_python.sh VERSION: print the path of a CPython VERSION (e.g. 3.13): pythonVERSION on the
# PATH, else pyenv's newest VERSION.x; exit 1 when there is none.
set -euo pipefail
version=$1
# A pyenv shim is on the PATH for every version pyenv has, and fails when that
# version is not selected: take the command only if it runs.
if found=$(command -v "python$version") && "$found" -c '' 2>/dev/null; then
  echo "$found"
  exit 0
fi
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
found=$(ls -d "$root"/versions/"$version".* 2>/dev/null | sort -V | tail -1)
[ -n "$found" ] && [ -x "$found/bin/python" ] || exit 1
echo "$found/bin/python"
