"""The probe command: heads on cached features over folds, as a user runs it
(its bad input is in tests/bad_input_test.py)."""

import json
import shutil
import sys

import pytest

import conftest
from jazzcnn import baselines
from jazzcnn import evaluate_lib


def test_probe_tabulates_each_head_over_the_folds(tiny_records, tmp_path):
  data_dir = str(tmp_path / 'records')
  shutil.copytree(tiny_records[0], data_dir)
  info = tiny_records[1]
  output = tmp_path / 'probe.json'
  # The same records twice: two "folds", so the t-interval path runs.
  result = conftest.run([sys.executable, '-m', 'jazzcnn.probe', data_dir,
                         data_dir, '--features=mel_stats',
                         '--heads=logistic,svm', f'--output={output}'])
  assert result.returncode == 0, result.stderr[-3000:]
  rows = [line for line in result.stdout.splitlines()
          if line.startswith('| `mel_stats`')]
  assert [row.split(' | ')[1] for row in rows] == ['logistic', 'svm']
  report = json.loads(output.read_text())
  logistic = report['probes'][0]
  assert (logistic['features'], logistic['head']) == ('mel_stats', 'logistic')
  assert len(logistic['folds']) == 2
  # What the command reports is what the library computes.
  probs, labels, tapes = baselines.probabilities(data_dir, info, 'test',
                                                 'mel_stats')
  expected = evaluate_lib.split_metrics(probs, labels, tapes, info)
  for key in ('window_balanced_accuracy', 'tape_balanced_accuracy'):
    assert logistic['folds'][0][key] == pytest.approx(expected[key])
    assert f'{expected[key]:.3f} [' in rows[0]
