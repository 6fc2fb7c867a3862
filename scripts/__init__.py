"""Build and test scripts; the Python ones that share code run as modules (`python -m scripts.pgo_train`)."""
