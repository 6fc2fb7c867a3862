#!/usr/bin/env bash
# build.sh: build lesto with profile-guided optimization and install it into .venv (setup.sh runs it).
#
#   bash scripts/build.sh            # instrumented build, training run, optimized build
#   LESTO_PGO=0 bash scripts/build.sh  # one plain build (quicker, ~10% more CPU per request)
#
# The two builds share build/pgo: GCC names the profile after the object files.
# If the training run fails, the plain build is installed and the reason printed.
set -euo pipefail
cd "$(dirname "$0")/.."

pip_install() {
  .venv/bin/python -m pip install -q --no-build-isolation -C build-dir=build/pgo "$@" ".[test,testing,bench]"
}

if [ "${LESTO_PGO:-1}" = "0" ]; then
  echo "build: plain build (LESTO_PGO=0)"
  pip_install -C cmake.define.LESTO_PGO=
  exit 0
fi

profile=$PWD/build/pgo/pgo-profile
rm -rf "$profile"  # a profile of other sources would not match
echo "build: instrumented build"
pip_install -C cmake.define.LESTO_PGO=generate -C cmake.define.LESTO_PGO_DIR="$profile"
echo "build: training run"
if .venv/bin/python -m scripts.pgo_train "$profile"; then
  echo "build: optimized build"
  pip_install -C cmake.define.LESTO_PGO=use -C cmake.define.LESTO_PGO_DIR="$profile"
else
  echo "build: the training run failed; installing the plain build instead" >&2
  pip_install -C cmake.define.LESTO_PGO=
fi
