"""The builder's progress line."""

import io
import time

from beam_pipelines import build_progress
import conftest


def test_the_line_counts_what_the_build_has_written(tmp_path):
  tmp = tmp_path / '.build-tmp-abc'
  tmp.mkdir()
  (tmp / 'train-1').write_bytes(b'x' * 3_000_000)
  (tmp / 'test-1').write_bytes(b'x' * 1_000_000)
  (tmp_path / 'train-00000-of-00001.tfrecord').write_bytes(b'old result')
  assert build_progress.written(str(tmp_path)) == (4_000_000, 2)
  assert build_progress.line(str(tmp_path), 65) == (
      'build_records: 4 MB in 2 shards, 1:05')


def test_drawn_on_a_terminal_and_cleared_after(tmp_path):
  terminal = conftest.Terminal()
  with build_progress.watch(str(tmp_path), terminal, interval=0.01):
    time.sleep(0.1)
  assert '\rbuild_records: 0 MB in 0 shards, 0:00' in terminal.getvalue()
  assert terminal.getvalue().endswith('\r\033[K')


def test_silent_in_logs(tmp_path):
  log = io.StringIO()
  with build_progress.watch(str(tmp_path), log, interval=0.01):
    time.sleep(0.05)
  assert log.getvalue() == ''
