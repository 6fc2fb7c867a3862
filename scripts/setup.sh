#!/usr/bin/env bash
# setup.sh: install what Lesto needs on a fresh Debian machine, build it, and install it into .venv.
# Idempotent: packages already present are not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."

# nginx: tests/python/test_ops_nginx.py; clang: fuzz/run.sh; clang-format, clang-tidy: scripts/lint_cpp.sh;
# zlib1g-dev, libssl-dev: permessage-deflate, the WebSocket handshake's SHA-1 (src/core/websocket) and TLS
# (src/core/net/tls.cpp); openssl: tests/python/test_tls.py's s_client; testssl.sh: bench/testssl.py
apt_packages=(g++ cmake ninja-build libgtest-dev curl wrk nginx-light clang libclang-rt-14-dev clang-format clang-tidy
  zlib1g-dev libssl-dev openssl testssl.sh)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "scikit-build-core>=0.10"
echo "setup: building and installing lesto into .venv"
bash scripts/build.sh
