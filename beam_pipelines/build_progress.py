"""A line that updates while the records builder runs (terminals only).

  with build_progress.watch(output_dir):
    build_records_lib.build_records(...)

Beam's counters are only read when a pipeline ends, so the line watches
what the workers write instead: the shards growing in the build's
temporary directory, e.g. `build_records: 412 MB in 9 shards, 1:05`. Any
output directory Beam's FileSystems reach (local every second; gs:// and
other object stores every 10 s, one listing each). When stderr is not a
terminal (logs, CI) it prints nothing.
"""

import contextlib
import sys
import threading
import time

from apache_beam.io.filesystem import BeamIOError

from beam_pipelines import build_records_lib
from beam_pipelines import fileio
from jazzcnn import globs



def written(output_dir):
  """(bytes, files) under the build's temporary directories."""
  found = fileio.sizes(globs.inside(output_dir,
                                    build_records_lib.TMP_PREFIX + '*', '*'))
  return sum(found.values()), len(found)


def line(output_dir, seconds):
  size, files = written(output_dir)
  minutes, secs = divmod(int(seconds), 60)
  return (f'build_records: {size / 1e6:,.0f} MB in {files} shards, '
          f'{minutes}:{secs:02d}')


@contextlib.contextmanager
def watch(output_dir, stream=None, interval=None):
  """Redraws `line` on `stream` (stderr) every `interval` s during the block
  (None: 1 s for a local directory, 10 s for an object store)."""
  stream = stream or sys.stderr
  if not stream.isatty():
    yield
    return
  if interval is None:
    interval = 1.0 if fileio.is_local(output_dir) else 10.0
  done = threading.Event()
  start = time.monotonic()

  def draw():
    while not done.wait(interval):
      try:
        text = line(output_dir, time.monotonic() - start)
      except (BeamIOError, OSError):  # A shard renamed while listed; a
        continue  # failed listing. The next redraw tries again.
      stream.write('\r' + text + '\033[K')
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
