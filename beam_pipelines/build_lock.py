"""One build at a time per records directory: an exclusive lock file.

  with build_lock.hold(output_dir):
    ...  # build into output_dir

The lock is `OUTPUT_DIR/.build-lock`, created atomically (O_CREAT|O_EXCL)
with its holder's host, pid and start time inside. A second build into the
same directory is refused while the holder lives; a lock left by a process
that died (kill -9, a crash) on this host is detected and taken over. On
object stores (gs://) there is no atomic create through Beam's FileSystems:
the lock is written, then read back, which catches all but near-simultaneous
starts.
"""

import contextlib
import datetime
import json
import os
import socket
import uuid

from absl import logging

from beam_pipelines import fileio
from jazzcnn import outputs

LOCK_FILE = '.build-lock'


class Unavailable(Exception):
  """The directory is held by another live build, or cannot be written."""


@contextlib.contextmanager
def hold(output_dir):
  """Creates output_dir if needed and holds its lock for the block.

  If the block raises, the directories this created are removed again
  unless the build left a file in them.

  Raises:
    Unavailable: another live build holds it, or it cannot be created or
      written (a file of that name, no permission).
  """
  path = fileio.join(output_dir, LOCK_FILE)
  mine = {'host': socket.gethostname(), 'pid': os.getpid(),
          'started': datetime.datetime.now(datetime.timezone.utc).isoformat(
              timespec='seconds'),
          'token': uuid.uuid4().hex}
  created = outputs.missing_top(output_dir) if fileio.is_local(path) else None
  try:
    fileio.makedirs(output_dir)
    if fileio.is_local(path):
      _acquire_local(path, mine, output_dir)
    else:
      _acquire_remote(path, mine, output_dir)
  except OSError as e:
    outputs.remove_empty_dirs(created)
    raise Unavailable(f'cannot write to --output_dir={output_dir}: '
                      f'{e.strerror or e}') from e
  try:
    yield
  except BaseException:
    _release(path, mine)
    outputs.remove_empty_dirs(created)
    raise
  _release(path, mine)


def _release(path, mine):
  if _read(path).get('token') == mine['token']:
    fileio.delete([path])


def _acquire_local(path, mine, output_dir):
  for _ in range(3):  # Each turn removes one dead holder's lock.
    try:
      fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
      holder = _read(path)
      if not _is_dead(holder):
        raise _held(output_dir, holder, path) from None
      _take_over(path, holder)
      continue
    with os.fdopen(fd, 'w') as f:
      json.dump(mine, f)
    return
  raise _held(output_dir, _read(path), path)


def _take_over(path, holder):
  """Moves a dead holder's lock aside; puts back one that is not it."""
  aside = f'{path}.stale-{uuid.uuid4().hex}'
  try:
    os.rename(path, aside)
  except FileNotFoundError:
    return  # Another build took it over first.
  if _read(aside) != holder:  # A live lock that replaced it meanwhile.
    with contextlib.suppress(FileExistsError):
      os.link(aside, path)
  else:
    logging.warning('took over the lock of build pid %s on %s (no longer '
                    'running)', holder.get('pid'), holder.get('host'))
  os.remove(aside)


def _acquire_remote(path, mine, output_dir):
  if fileio.exists(path):
    holder = _read(path)
    if not _is_dead(holder):
      raise _held(output_dir, holder, path)
  fileio.write_json(path, mine)
  holder = _read(path)
  if holder.get('token') != mine['token']:
    raise _held(output_dir, holder, path)


def _read(path):
  """The lock's content; {} while it is being written or when gone."""
  try:
    return json.loads(fileio.read_text(path) or '{}')
  except (OSError, ValueError):
    return {}


def _is_dead(holder):
  """True when the holder ran on this host and its process is gone."""
  if holder.get('host') != socket.gethostname() or not holder.get('pid'):
    return False  # Being written, or another machine's: cannot tell.
  try:
    os.kill(holder['pid'], 0)
  except ProcessLookupError:
    return True
  except PermissionError:
    return False  # Alive, another user's.
  return False


def _held(output_dir, holder, path):
  who = (f"pid {holder.get('pid')} on {holder.get('host')} since "
         f"{holder.get('started')}" if holder else 'another build')
  return Unavailable(
      f'--output_dir={output_dir} is being built by {who}; wait for it to '
      f'finish, or delete {path} if that build is gone')
