"""A line that updates while the records builder runs (terminals only).

  with build_progress.watch(output_dir):
    build_records_lib.build_records(...)

Beam's counters are only read when a pipeline ends, so the line watches
what the workers write instead: the shards growing in the build's
temporary directory, e.g. `build_records: 412 MB in 9 shards, 1:05`.
Local output directories only; elsewhere, and when stderr is not a
terminal (logs, CI), it prints nothing.
"""

import contextlib
import glob
import os
import sys
import threading
import time

from beam_pipelines import build_records_lib



def written(output_dir):
  """(bytes, files) under the build's temporary directories."""
  sizes = []
  pattern = os.path.join(output_dir, build_records_lib.TMP_PREFIX + '*', '*')
  for path in glob.glob(pattern):
    with contextlib.suppress(OSError):  # A shard renamed meanwhile.
      sizes.append(os.path.getsize(path))
  return sum(sizes), len(sizes)


def line(output_dir, seconds):
  size, files = written(output_dir)
  minutes, secs = divmod(int(seconds), 60)
  return (f'build_records: {size / 1e6:,.0f} MB in {files} shards, '
          f'{minutes}:{secs:02d}')


@contextlib.contextmanager
def watch(output_dir, stream=None, interval=1.0):
  """Redraws `line` on `stream` (stderr) every `interval` s during the block."""
  stream = stream or sys.stderr
  if not stream.isatty() or '://' in output_dir:
    yield
    return
  done = threading.Event()
  start = time.monotonic()

  def draw():
    while not done.wait(interval):
      stream.write('\r' + line(output_dir, time.monotonic() - start) + '\033[K')
      stream.flush()

  thread = threading.Thread(target=draw, daemon=True)
  thread.start()
  try:
    yield
  finally:
    done.set()
    thread.join()
    stream.write('\r\033[K')
    stream.flush()
