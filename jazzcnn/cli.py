"""Runs a command's main: an expected error is one line on stderr, exit 1.

Every binary ends with `cli.run(main)`. Raising `app.UsageError` (bad flags,
missing files, unusable input) prints `command: message` and a pointer to
--help, not absl's whole module docstring; a traceback is left for real
bugs.
"""

import os
import sys

from absl import app


def run(main, **kwargs):
  """`app.run(main, **kwargs)`, with usage errors as one line."""
  spec = getattr(sys.modules['__main__'], '__spec__', None)
  name = spec.name if spec else os.path.basename(sys.argv[0])

  def wrapped(argv):
    try:
      return main(argv)
    except app.UsageError as e:
      print(f'{name}: {e} (--help for the flags)', file=sys.stderr)
      sys.exit(1)

  app.run(wrapped, **kwargs)
