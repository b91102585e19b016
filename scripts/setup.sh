#!/usr/bin/env bash
# Creates .venv and installs requirements.txt into it, then jazzcnn itself
# (editable: `python -m jazzcnn.train` runs from any folder and reads this
# checkout's code); a no-op when current.
#   scripts/setup.sh --check   exits 0 when .venv is current, else 1, and
#                              installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements_nodeps.txt setup.py | sha256sum | cut -d' ' -f1)
current() { [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; }
if [ "${1:-}" = --check ]; then
  current
  exit
fi
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
if ! current; then
  echo "Installing requirements.txt into .venv (TensorFlow is large: a few minutes)..."
  # pip's own progress bars on a terminal; quiet in logs and CI.
  quiet=--quiet
  [ -t 1 ] && quiet=
  # A pip.conf that lists a local index folder which is not there makes pip
  # warn once a package for each such folder (hundreds of lines, harmless:
  # the other indexes serve the package). Those lines are left out; every
  # other line of pip's passes, and its exit status is kept (pipefail).
  install() {
    { .venv/bin/python -m pip install $quiet --disable-pip-version-check \
        "$@" 2>&1 1>&3 | { grep -v "^WARNING: Location 'file://.*' is ignored: it is neither a file nor a directory\.$" || true; } >&2
    } 3>&1
  }
  install -r requirements.txt
  # Their own pins would break the stack above; jazzcnn reads only their data.
  install --no-deps -r requirements_nodeps.txt
  # requirements.txt holds setup.py's dependencies already.
  install --no-deps --editable .
  echo "$want" > "$stamp"
fi
