#!/usr/bin/env bash
# Creates .venv and installs requirements.txt into it; a no-op when current.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))'; then
  echo "jazzcnn needs Python 3.10-3.12 (TensorFlow 2.20); $PYTHON is $("$PYTHON" -V 2>&1)." >&2
  echo "Set PYTHON=/path/to/python3.11 and run again." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv || {
    echo "Could not create .venv: on Debian/Ubuntu, apt-get install python3-venv." >&2
    exit 1
  }
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements_nodeps.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing requirements.txt into .venv (TensorFlow is large: a few minutes)..."
  # pip's own progress bars on a terminal; quiet in logs and CI.
  quiet=--quiet
  [ -t 1 ] && quiet=
  .venv/bin/python -m pip install $quiet --disable-pip-version-check \
      -r requirements.txt
  # Their own pins would break the stack above; jazzcnn reads only their data.
  .venv/bin/python -m pip install $quiet --no-deps --disable-pip-version-check \
      -r requirements_nodeps.txt
  echo "$want" > "$stamp"
fi
