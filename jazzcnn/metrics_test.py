"""Balanced scores and tape-resampling bootstrap intervals."""

import numpy as np
import pytest

from jazzcnn import metrics


def test_balanced_accuracy_se_is_the_binomial_error_of_the_mean_recall():
  # Recalls 0.8 of 10 and 0.5 of 4; the third class has no support.
  matrix = [[8, 2, 0], [2, 2, 0], [0, 0, 0]]
  expected = np.sqrt(0.8 * 0.2 / 10 + 0.5 * 0.5 / 4) / 2
  assert metrics.balanced_accuracy_se(matrix) == pytest.approx(expected)
  assert metrics.balanced_accuracy_se([[5, 0], [0, 7]]) == 0
  # It is the spread of the balanced accuracy of classifiers with these
  # recalls, over random validation sets of this size.
  rng = np.random.default_rng(0)
  draws = [(rng.binomial(400, 0.8) / 400 + rng.binomial(100, 0.5) / 100) / 2
           for _ in range(4000)]
  assert np.std(draws) == pytest.approx(
      metrics.balanced_accuracy_se([[320, 80], [50, 50]]), rel=0.05)


def test_balanced_accuracy_is_the_mean_recall_over_present_classes():
  matrix = [[8, 2, 0], [0, 0, 0], [1, 1, 2]]  # Class 1 absent from the truth.
  assert metrics.balanced_accuracy(matrix) == pytest.approx((0.8 + 0.5) / 2)


def test_a_constant_predictor_scores_chance_however_unbalanced():
  labels = np.array([0] * 90 + [1] * 10)
  matrix = metrics.confusion(labels, np.zeros(100, int), 2)
  assert (np.trace(matrix) / 100) == 0.9  # What plain accuracy said.
  assert metrics.balanced_accuracy(matrix) == 0.5
  assert metrics.macro_f1(matrix) == pytest.approx((2 * 90 / 190) / 2)


def _units(per_class, correct):
  """Tapes of 3 windows each; `correct(c, i)` says if tape i of class c is
  predicted right (else as class (c + 1) % 3)."""
  labels, counts = [], []
  for c in range(3):
    for i in range(per_class):
      labels.append(c)
      row = np.zeros(3, int)
      row[c if correct(c, i) else (c + 1) % 3] = 3
      counts.append(row)
  return np.array(labels), np.array(counts)


def test_interval_of_a_perfect_predictor_is_a_point_at_one():
  labels, counts = _units(5, lambda c, i: True)
  assert metrics.interval(labels, counts, metrics.balanced_accuracy) == [1, 1]


def test_interval_of_a_constant_predictor_is_a_point_at_chance():
  labels = np.repeat(np.arange(3), 4)
  counts = np.zeros((12, 3), int)
  counts[:, 0] = 2  # Every window of every tape: class 0.
  low, high = metrics.interval(labels, counts, metrics.balanced_accuracy)
  assert low == high == pytest.approx(1 / 3)


def test_interval_resamples_tapes_and_covers_the_estimate():
  # Half of each class's tapes right: 0.5, with real uncertainty.
  labels, counts = _units(6, lambda c, i: i % 2 == 0)
  low, high = metrics.interval(labels, counts, metrics.balanced_accuracy,
                               seed=1)
  assert low < 0.5 < high
  assert 0.2 < low and high < 0.8
  wider = metrics.interval(*_units(2, lambda c, i: i % 2 == 0),
                           metrics.balanced_accuracy, seed=1)
  assert wider[1] - wider[0] > high - low  # Fewer tapes, wider interval.


def test_a_class_with_one_tape_is_kept_fixed_and_none_without_two():
  labels = np.array([0, 0, 1])
  counts = np.array([[3, 0], [0, 3], [0, 3]])
  low, high = metrics.interval(labels, counts, metrics.balanced_accuracy)
  assert 0.5 <= low <= high <= 1.0
  assert metrics.interval(np.array([0, 1]), np.eye(2, dtype=int),
                          metrics.balanced_accuracy) is None


def test_standard_error_is_the_spread_over_resampled_tapes():
  assert metrics.standard_error(*_units(5, lambda c, i: True),
                                metrics.balanced_accuracy) == 0
  # Half of each class's 8 tapes right: each recall's bootstrap error is
  # sqrt(0.25 / 8), the mean of three recalls' sqrt(3 x 0.25 / 8) / 3.
  half = _units(8, lambda c, i: i % 2 == 0)
  error = metrics.standard_error(*half, metrics.balanced_accuracy, seed=2)
  assert error == pytest.approx(np.sqrt(3 * 0.25 / 8) / 3, rel=0.1)
  # Three windows a tape counted as independent would say sqrt(3) less.
  matrix = half[1][np.argsort(half[0], kind='stable')].reshape(
      3, 8, 3).sum(axis=1)
  assert metrics.balanced_accuracy_se(matrix) == pytest.approx(
      np.sqrt(3 * 0.25 / 24) / 3)
  assert metrics.standard_error(np.array([0, 1]), np.eye(2, dtype=int),
                                metrics.balanced_accuracy) is None


def test_knn_agreement_leaves_one_out_and_can_exclude_the_artist():
  # Two tight clusters; tape 4 (label b) sits in cluster a.
  points = np.array([[1, 0], [0.99, 0.1], [0.98, 0.12], [0, 1], [0.97, 0.2],
                     [0.1, 0.99]])
  unit = points / np.linalg.norm(points, axis=1, keepdims=True)
  similarity = unit @ unit.T
  labels = ['a', 'a', 'a', 'b', 'b', None]  # The last is not labelled.
  assert metrics.knn_agreement(similarity, labels, k=1) == 4 / 5  # 4 errs.
  # Excluding the artist: 0-2 are one artist, so each must look further.
  groups = ['x', 'x', 'x', 'y', 'z', 'w']
  assert metrics.knn_agreement(similarity, labels, k=1,
                               groups=groups) == 1 / 5  # Only 3 is right.
  assert metrics.knn_agreement(similarity, [None] * 6) is None
  # Only tapes 3 and 4 queried (held out), every labelled one votes: 3's
  # nearest is the unlabelled 5, then 4 (b: right); 4's is 2 (a: wrong).
  queried = [False, False, False, True, True, True]
  assert metrics.knn_agreement(similarity, labels, k=1,
                               queried=queried) == 1 / 2
  assert metrics.knn_agreement(similarity, labels, k=1,
                               queried=[False] * 6) is None
