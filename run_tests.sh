#!/usr/bin/env bash
# Sets up .venv if needed, then runs every test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=2
exec .venv/bin/python -m pytest -n "${JOBS:-2}" "$@"
