"""Keeps the benchmark harness working: tiny sizes, no timing asserted."""

import json
import subprocess
import sys

import conftest

KEYS = {'suite', 'figure', 'value', 'unit', 'goal', 'ok'}


def test_every_suite_runs_and_reports_its_figures(tmp_path):
  result = subprocess.run(
      [sys.executable, '-m', 'jazzcnn.benchmark', 'input', 'build', 'train',
       '--input_windows=24', '--seed_windows=8', '--passes=1',
       '--batch_size=4', '--build_tapes=1', '--build_minutes=1.5',
       '--memory_minutes=0.5,1', '--norunner_startup', '--train_steps=2',
       '--train_batch=2', f'--work_dir={tmp_path}'],
      cwd=conftest.ROOT, capture_output=True, text=True, timeout=900)
  # Exit status 3 only means a goal was missed at these toy sizes.
  assert result.returncode in (0, 3), result.stderr[-3000:]
  figures = [json.loads(l) for l in result.stdout.splitlines()
             if l.startswith('{')]
  assert all(set(f) == KEYS for f in figures)
  names = {(f['suite'], f['figure']) for f in figures}
  for name in [('input', 'pipeline_vs_bare_tfrecord'),
               ('input', 'pipeline_vs_seed'), ('input', 'bare_pcm_vs_seed'),
               ('input', 'host_cores_to_feed_h100'),
               ('build', 'build_vs_decode_only'),
               ('build', 'peak_rss_long_vs_short'),
               ('train', 'real_vs_in_memory')]:
    assert name in names
  units = {'MB/s', 'windows/s', 'x', 'GFLOP/window', 'cores', 'x real time',
           'h/min', 's', 'MiB', 'TFLOP/s'}
  for f in figures:
    assert f['value'] > 0, f
    assert f['unit'] in units, f
    if '_vs_' in f['figure']:  # A ratio of two figures of one run.
      assert f['unit'] == 'x', f
    assert f['ok'] in (None, True, False)
    assert (f['ok'] is None) == (not f['goal'].startswith(('>', '<'))), f
  assert '| suite | figure |' in result.stdout
  assert (result.returncode == 3) == any(f['ok'] is False for f in figures)
