"""tools/bootstrap_coverage.py: its population is the one it says, and a
run prints a row per method (BENCHMARKS.md's coverage table)."""

import importlib.util
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOOL = ROOT / 'tools' / 'bootstrap_coverage.py'


def _tool():
  spec = importlib.util.spec_from_file_location('bootstrap_coverage', TOOL)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def test_tapes_are_drawn_with_the_recalls_and_decided_by_most_windows():
  tool = _tool()
  rng = np.random.default_rng(0)
  labels, counts = tool.draw_tapes(rng, [0.9, 0.6, 0.3], 4000, 6, 4.0)
  assert (counts.sum(axis=1) == 6).all()
  recall = [counts[labels == c, c].mean() / 6 for c in range(3)]
  np.testing.assert_allclose(recall, [0.9, 0.6, 0.3], atol=0.02)
  # Tapes differ: a tape's right windows spread more than a binomial's.
  right = counts[labels == 1, 1]
  assert right.var() > 1.5 * 6 * 0.6 * 0.4
  decided = tool.tape_decisions(rng, np.array([[4, 1, 1], [0, 2, 4],
                                               [3, 3, 0]]))
  assert decided[:2].tolist() == [[1, 0, 0], [0, 0, 1]]
  assert decided[2].tolist() in ([1, 0, 0], [0, 1, 0])  # A tie.


def test_a_run_prints_coverage_and_width_for_each_method():
  result = subprocess.run(
      [sys.executable, str(TOOL), '--units=4', '--trials=3',
       '--resamples=50', '--population=2000'],
      capture_output=True, text=True, cwd=ROOT, check=True)
  rows = [line for line in result.stdout.splitlines()
          if line.startswith('| 4 |')]
  assert [row.split(' | ')[1] for row in rows] == [
      'percentile', 'basic', 'BCa', 'posterior'], result.stdout
  for row in rows[:3]:
    held, width = (float(c.split()[0]) for c in row.split(' | ')[2:4])
    assert held == pytest.approx(round(held * 3) / 3, abs=0.001), row
    assert 0 < width < 1, row
  assert rows[3].startswith('| 4 | posterior | - | - | '), rows  # Tapes only.


def test_the_posterior_interval_of_a_perfect_score_is_wide_with_few_tapes():
  # Every tape right: a bootstrap can only say [1, 1]; the posterior's
  # lower end rises with the tapes (an era's recall Beta(n + 1, 1)).
  tool = _tool()
  rng = np.random.default_rng(0)
  intervals = []
  for tapes in (3, 10, 100):
    labels = np.repeat(np.arange(3), tapes)
    intervals.append(tool.posterior_interval(rng, labels, np.eye(3)[labels]))
  (low3, high3), (low10, _), (low100, high100) = intervals
  assert 0.5 < low3 < 0.7 and high3 < 0.97, intervals  # Three tapes: wide.
  assert low3 < low10 < low100 < high100 < 1, intervals
  bad = subprocess.run([sys.executable, str(TOOL), '--recalls=0.5,1.2'],
                       capture_output=True, text=True, cwd=ROOT)
  assert bad.returncode != 0 and '--recalls must lie in (0, 1)' in bad.stderr


def test_the_roc_auc_population_ranks_by_clarity_and_its_run_prints_rows():
  tool = _tool()
  rng = np.random.default_rng(0)
  labels, probs, tape_of = tool.draw_scored_tapes(rng, [3.0, 0.0], 500, 4,
                                                  0.5)
  assert probs.shape == (4000, 2) and np.allclose(probs.sum(axis=1), 1)
  assert (tape_of == np.repeat(np.arange(1000), 4)).all()
  # Era 0's tapes are clear; era 1's are no clearer than chance.
  window = probs[np.arange(4000), labels[tape_of]]
  assert window[labels[tape_of] == 0].mean() > 0.85
  assert abs(window[labels[tape_of] == 1].mean() - 0.5) < 0.05
  result = subprocess.run(
      [sys.executable, str(TOOL), '--score=roc_auc', '--units=4',
       '--trials=3', '--resamples=50', '--population=2000',
       '--methods=percentile'],
      capture_output=True, text=True, cwd=ROOT, check=True)
  assert result.stdout.startswith('population: window roc_auc 0.'), (
      result.stdout)
  rows = [line for line in result.stdout.splitlines()
          if line.startswith('| 4 |')]
  assert [row.split(' | ')[1] for row in rows] == ['percentile'], rows
