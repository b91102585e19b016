"""The records directory lock, and two real builds into one directory."""

import contextlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile

from beam_pipelines import build_lock


def test_a_second_holder_is_refused_with_the_first_named(tmp_path):
  out = str(tmp_path / 'records')
  with build_lock.hold(out):
    holder = json.load(open(os.path.join(out, build_lock.LOCK_FILE)))
    assert holder['pid'] == os.getpid()
    with pytest.raises(build_lock.Unavailable,
                       match=f"being built by pid {os.getpid()} on "):
      with build_lock.hold(out):
        pass
  assert not os.path.exists(os.path.join(out, build_lock.LOCK_FILE))
  with build_lock.hold(out):  # Released: free again.
    pass


def test_a_dead_holders_lock_is_taken_over(tmp_path):
  dead = subprocess.Popen([sys.executable, '-c', 'pass'])
  dead.wait()
  lock = tmp_path / build_lock.LOCK_FILE
  lock.write_text(json.dumps({'host': os.uname().nodename, 'pid': dead.pid,
                              'started': 'earlier', 'token': 'x'}))
  with build_lock.hold(str(tmp_path)):
    assert json.loads(lock.read_text())['pid'] == os.getpid()
  assert sorted(os.listdir(tmp_path)) == []  # Nothing stale left beside it.


def test_another_hosts_lock_is_not_taken(tmp_path):
  lock = tmp_path / build_lock.LOCK_FILE
  lock.write_text(json.dumps({'host': 'elsewhere', 'pid': 1,
                              'started': 'earlier', 'token': 'x'}))
  with pytest.raises(build_lock.Unavailable, match='pid 1 on elsewhere'):
    with build_lock.hold(str(tmp_path)):
      pass
  assert json.loads(lock.read_text())['host'] == 'elsewhere'


@pytest.mark.parametrize('where', ['file', 'under_a_file'])
def test_an_output_dir_that_cannot_be_a_directory(tmp_path, where):
  a_file = tmp_path / 'records'
  a_file.write_text('not a directory')
  out = a_file if where == 'file' else a_file / 'sub'
  with pytest.raises(build_lock.Unavailable,
                     match=f'cannot write to --output_dir={out}'):
    with build_lock.hold(str(out)):
      pass


def _wav_tapes(root):
  rows = ['title,year']
  for i, year in enumerate((1925, 1935, 1947, 1952)):
    name = f'Band{i}_Tape_{i}_{year}'
    t = np.arange(16000 * 4) / 16000
    soundfile.write(root / f'{name}.wav',
                    0.3 * np.sin(2 * np.pi * 220 * (i + 1) * t), 16000)
    rows.append(f'{name},{year}')
  rows.append('Zz_Slow_Tape_9_1925,1925')
  (root / 'tracklist.csv').write_text('\n'.join(rows) + '\n')


def test_two_builds_into_one_directory(tmp_path):
  """The second is refused in one line; the first's result is complete.

  The first build is held mid-run by a listed tape that is a named pipe:
  its reader blocks until this test writes the pipe (not audio, so a
  counted skip), after the second build has been refused.
  """
  tapes = tmp_path / 'tapes'
  tapes.mkdir()
  _wav_tapes(tapes)
  fifo = tapes / 'Zz_Slow_Tape_9_1925.wav'
  os.mkfifo(fifo)
  out = tmp_path / 'records'
  command = [sys.executable, '-m', 'beam_pipelines.build_records',
             '--runner=DirectRunner', '--direct_num_workers=1',
             f'--input={tapes}', f'--tracklist={tapes}/tracklist.csv',
             f'--output_dir={out}', '--trim_seconds=0', '--window_seconds=1',
             '--hop_seconds=1',
             '--split_by=tape']
  first = subprocess.Popen(command, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
  try:
    lock = out / build_lock.LOCK_FILE
    deadline = time.time() + 120
    while not lock.exists() and first.poll() is None and time.time() < deadline:
      time.sleep(0.2)
    assert lock.exists(), first.communicate()[1][-2000:]
    second = subprocess.run(command, capture_output=True, text=True,
                            timeout=300)
    assert second.returncode == 1
    assert second.stderr.strip().splitlines()[-1].startswith(
        f'beam_pipelines.build_records: --output_dir={out} is being built '
        f'by pid {first.pid} on ')
    assert 'Traceback' not in second.stderr
  finally:
    # Unblocks the first build's reader, which skips it as unreadable: once
    # it has the pipe open, and not after the build ended without opening
    # it (a blocking open would then wait for a reader forever).
    deadline = time.time() + 300
    while first.poll() is None and time.time() < deadline:
      try:
        writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
      except OSError:  # ENXIO: no reader yet.
        time.sleep(0.2)
        continue
      with contextlib.suppress(BrokenPipeError), os.fdopen(writer, 'wb') as f:
        f.write(b'not audio')
      break
    stdout, stderr = first.communicate(timeout=300)
  assert first.returncode == 0, stderr[-3000:]
  info = json.load(open(out / 'dataset_info.json'))
  tapes_built = sum(s['tapes'] for s in info['splits'].values())
  windows = sum(s['windows'] for s in info['splits'].values())
  assert tapes_built == 4 and windows == 16, (info['splits'], info['failures'])
  assert [f['path'] for f in info['failures']] == [str(fifo)]
  assert json.loads(stdout)['output_dir'] == str(out)
  assert sorted(p for p in os.listdir(out) if p.startswith('.')) == []


def test_a_failed_build_leaves_no_directory_it_created_and_filled_none(
    tmp_path):
  existing = tmp_path / 'existing'
  existing.mkdir()
  for out, kept in ((tmp_path / 'new' / 'records', False), (existing, True)):
    with pytest.raises(RuntimeError):
      with build_lock.hold(str(out)):
        (out / 'tmp-build').mkdir()
        raise RuntimeError('every tape was skipped')
    assert os.path.exists(out) == kept
  assert sorted(os.listdir(tmp_path)) == ['existing']
  assert os.listdir(existing) == ['tmp-build']  # Not created by hold.
  with pytest.raises(RuntimeError):  # A file written stays, with its dirs.
    with build_lock.hold(str(tmp_path / 'partial')):
      (tmp_path / 'partial' / 'failures.json').write_text('{}')
      raise RuntimeError('failed late')
  assert os.listdir(tmp_path / 'partial') == ['failures.json']
