#!/usr/bin/env bash
# hello.sh: set everything up, then serve examples/hello.py on http://127.0.0.1:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python examples/hello.py 127.0.0.1 8080
