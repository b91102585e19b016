"""Shared test fixtures: tiny records built by the real builder."""

import errno
import io
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys

import pytest
import tensorflow as tf

# Two logical CPUs, so `mirrored` has two replicas in tests. This must run
# before TensorFlow initialises its devices, hence here at import.
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices('CPU')[0],
    [tf.config.LogicalDeviceConfiguration()] * 2)

TINY_WINDOW = 16000  # One second at 16 kHz: tiny, but every code path is real.
SMOKE_STEPS = 12  # Steps per epoch of the shared smoke run.


ROOT = os.path.dirname(os.path.abspath(__file__))


class Terminal(io.StringIO):
  """A stream that says it is a terminal: progress lines draw on it."""

  def isatty(self):
    return True


class FailingReader(io.BytesIO):
  """A file whose reads fail with EIO from byte `fail_at` on, as a bad disk
  or a dropped connection to a bucket does."""

  def __init__(self, data, fail_at):
    super().__init__(data)
    self.fail_at = fail_at

  def read(self, size=-1):
    end = len(self.getbuffer()) if size < 0 else self.tell() + size
    if end > self.fail_at:
      raise OSError(errno.EIO, 'Input/output error')
    return super().read(size)

  def readinto(self, buffer):
    data = self.read(len(buffer))
    buffer[:len(data)] = data
    return len(data)


@pytest.fixture(scope='session')
def tiny_tapes(tmp_path_factory):
  """A demo corpus: 3 tapes per era of 8 s, with tracklist.csv."""
  from beam_pipelines import demo_tapes_lib
  tapes = str(tmp_path_factory.mktemp('tiny_tapes'))
  demo_tapes_lib.make_demo_tapes(tapes, tapes_per_era=3, tape_seconds=8,
                                 commentary_seconds=1, extras=False)
  return tapes


def build_tiny_records(tapes, out, keep=lambda path: True):
  """dataset_info of records built into `out` from the tapes in `tapes`
  that `keep` passes, with 1 s windows and `tapes`' track list."""
  from beam_pipelines import build_records_lib
  from beam_pipelines import tape_files
  from jazzcnn import naming
  from jazzcnn import audio
  return build_records_lib.build_records(
      [p for p in tape_files.list_audio(tapes) if keep(p)], out,
      tracklist=naming.read_tracklist(
          os.path.join(tapes, 'tracklist.csv')),
      eras=naming.parse_eras(naming.DEFAULT_ERAS),
      windowing=audio.Windowing(sample_rate=16000, window=TINY_WINDOW,
                                hop=TINY_WINDOW, trim=16000),
      shard_mb=0.05, pipeline_options=['--direct_num_workers=1'])


@pytest.fixture(scope='session')
def tiny_records(tiny_tapes, tmp_path_factory):
  """(data_dir, dataset_info) built from `tiny_tapes` with 1 s windows."""
  out = str(tmp_path_factory.mktemp('tiny_records'))
  return out, build_tiny_records(tiny_tapes, out)


def _listing(directory):
  """{path under directory: (size, mtime in ns)} of every file there."""
  listing = {}
  for parent, _, names in os.walk(directory):
    for name in names:
      stat = os.stat(os.path.join(parent, name))
      listing[os.path.relpath(os.path.join(parent, name), directory)] = (
          stat.st_size, stat.st_mtime_ns)
  return listing


@pytest.fixture(autouse=True)
def _shared_records_stay_as_built(request):
  """Errors a test that changed the shared `tiny_records` (a feature cache
  written beside them, a shard damaged in place): the tests after it in its
  worker would see what it left, and pass or fail by their order. Such a
  test works on `copy_records`. (Permissions cannot guard them: the tests
  may run as root.)"""
  if 'tiny_records' not in request.fixturenames:
    yield
    return
  data_dir = request.getfixturevalue('tiny_records')[0]
  before = _listing(data_dir)
  yield
  after = _listing(data_dir)
  changed = sorted(p for p in before.keys() | after.keys()
                   if before.get(p) != after.get(p))
  if changed:
    pytest.fail(f'{request.node.nodeid} changed the shared tiny_records '
                f'({", ".join(changed[:5])}): work on conftest.copy_records',
                pytrace=False)


def copy_records(data_dir, copy):
  """A copy of records without any feature cache (`baselines-*/`): for a
  test that writes beside the records (`evaluate` caches the baselines'
  features there), so the shared ones stay as built, or that must compute
  features itself."""
  shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns('baselines-*'))
  return copy


def train_command(data_dir, model_dir, *extra):
  """`python -m jazzcnn.train` with the cpu_smoke flagfile, INFO lines on
  (the tests read "with 2 replicas", "resumed from")."""
  return [sys.executable, '-m', 'jazzcnn.train', '--flagfile=flags/cpu_smoke.cfg',
          '--verbosity=0', f'--data_dir={data_dir}', f'--model_dir={model_dir}',
          *extra]


def require_current_venv():
  """Skips a test of a script that runs scripts/setup.sh unless this test
  runs in the .venv that setup made and would leave as it is (else the
  script would install into it); under CI, which made it, fails instead."""
  venv = pathlib.Path(ROOT, '.venv')
  current = subprocess.run(['bash', os.path.join('scripts', 'setup.sh'),
                            '--check'], cwd=ROOT, check=False)
  if (current.returncode == 0 and
      pathlib.Path(sys.prefix).resolve() == venv.resolve()):
    return
  why = ('runs only in the .venv that scripts/setup.sh made '
         '(./run_tests.sh), which the script would otherwise install into')
  if os.environ.get('CI') == 'true':  # .ci/run made it: never skip there.
    pytest.fail(f'{why}; CI set it up, so this is a fault (--check: '
                'scripts/setup.sh and this test disagree)')
  pytest.skip(why)


def run(command, timeout=600, *, cwd=ROOT, env=None):
  return subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                        text=True, timeout=timeout)


def free_ports(n):
  """`n` distinct loopback ports nothing listens on (all held while picked)."""
  sockets = [socket.socket() for _ in range(n)]
  for s in sockets:
    s.bind(('127.0.0.1', 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def requirement_pins(name='requirements.txt'):
  """{package: version} of a requirements file; names normalised (PEP 503),
  extras dropped."""
  pins = {}
  for line in open(os.path.join(ROOT, name)):
    line = line.split('#')[0].strip()
    if line:
      package, version = line.split('==')
      package = re.sub(r'\[.*\]', '', package)
      pins[re.sub(r'[-_.]+', '-', package).lower()] = version
  return pins


@pytest.fixture(scope='session')
def smoke_run(tiny_records, tmp_path_factory):
  """(data_dir, info, model_dir, completed process) of one cpu_smoke run."""
  data_dir, info = tiny_records
  model_dir = str(tmp_path_factory.mktemp('smoke'))
  # The tests read "it learns" from the training loss: without mixup and
  # dropout, and with 12 steps an epoch (the 24 train windows are 3 batches;
  # 4 epochs of 3 steps were noise: the last epoch's loss was above the
  # first's in about one run in five).
  result = run(train_command(data_dir, model_dir, '--mixup=0', '--dropout=0',
                             f'--steps_per_epoch={SMOKE_STEPS}'))
  assert result.returncode == 0, result.stderr[-4000:]
  return data_dir, info, model_dir, result
