#!/usr/bin/env bash
# find_python.sh VERSION: print the path of a CPython VERSION (e.g. 3.13): pythonVERSION on the
# PATH, else pyenv's newest VERSION.x; exit 1 when there is none.
set -euo pipefail
version=$1
if command -v "python$version" >/dev/null; then
  command -v "python$version"
  exit 0
fi
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
found=$(ls -d "$root"/versions/"$version".* 2>/dev/null | sort -V | tail -1)
[ -n "$found" ] && [ -x "$found/bin/python" ] || exit 1
echo "$found/bin/python"
