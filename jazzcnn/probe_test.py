"""The probe command: heads on cached features over folds, as a user runs it
(its bad input is in tests/bad_input_test.py)."""

import json
import sys

import numpy as np
import pytest

import conftest
from jazzcnn import baselines
from jazzcnn import evaluate_lib


def test_probe_tabulates_each_head_over_the_folds(tiny_records, tmp_path):
  data_dir = str(tmp_path / 'records')
  conftest.copy_records(tiny_records[0], data_dir)
  info = tiny_records[1]
  output = tmp_path / 'probe.json'
  # The same records twice: two "folds", so the t-interval path runs.
  result = conftest.run([sys.executable, '-m', 'jazzcnn.probe', data_dir,
                         data_dir, '--features=mel_stats',
                         '--heads=logistic,svm', '--train_fractions=1,0.5',
                         '--draws=2', f'--output={output}'])
  assert result.returncode == 0, result.stderr[-3000:]
  rows = [line for line in result.stdout.splitlines()
          if line.startswith('| `mel_stats`')]
  assert [row.split(' | ')[1:3] for row in rows] == [
      ['logistic', '1'], ['logistic', '0.5'], ['svm', '1'], ['svm', '0.5']]
  report = json.loads(output.read_text())
  logistic, half = report['probes'][:2]
  assert (logistic['features'], logistic['head']) == ('mel_stats', 'logistic')
  assert (half['head'], half['train_fraction']) == ('logistic', 0.5)
  assert len(logistic['folds']) == 2
  # What the command reports is what the library computes: on the whole
  # train split, and as the mean of the draws of half of it.
  probs, labels, tapes, chosen = baselines.probabilities(
      data_dir, info, 'test', 'mel_stats')
  expected = evaluate_lib.split_metrics(probs, labels, tapes, info)
  assert logistic['folds'][0]['regularisation'] == chosen
  assert chosen['C'] in baselines.CS
  draws = []
  for seed in (0, 1):
    probs, labels, tapes, _ = baselines.probabilities(
        data_dir, info, 'test', 'mel_stats', train_fraction=0.5, seed=seed)
    draws.append(evaluate_lib.split_metrics(probs, labels, tapes, info))
  for column, key in enumerate(evaluate_lib.BALANCED + evaluate_lib.RANKING):
    assert logistic['folds'][0][key] == pytest.approx(expected[key])
    # Two equal folds: their mean, and a t-interval of width 0.
    assert rows[0].split(' | ')[3 + column].strip(' |') == (
        f'{expected[key]:.3f} [{expected[key]:.3f}, {expected[key]:.3f}]')
    assert [d[key] for d in half['folds'][0]['draws']] == pytest.approx(
        [d[key] for d in draws])
    assert half['folds'][0][key] == pytest.approx(
        np.mean([d[key] for d in draws]))
