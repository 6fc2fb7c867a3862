"""The benchmarks: run them from the repo root as modules (`python -m bench.run`), see README.md."""
