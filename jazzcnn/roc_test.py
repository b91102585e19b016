"""ROC AUC: the pair form the bootstrap uses against scikit-learn, and the
interval's behaviour at its ends."""

import numpy as np
import pytest
from sklearn import metrics as sk_metrics

from jazzcnn import metrics
from jazzcnn import roc


def _items(rng, units_per_class=4, classes=3, per_unit=5, noise=1.0):
  """Items in units of one class each, with softmax probabilities that
  favour the true class by a margin drawn against `noise`; ties from
  rounding to two places."""
  unit_labels = np.repeat(np.arange(classes), units_per_class)
  unit_of = np.repeat(np.arange(len(unit_labels)), per_unit)
  labels = unit_labels[unit_of]
  logits = rng.normal(0, noise, (len(labels), classes))
  logits[np.arange(len(labels)), labels] += 1.0
  probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
  return unit_of, labels, np.round(probs, 2), unit_labels


def test_the_pair_form_is_sklearns_weighted_auc():
  rng = np.random.default_rng(0)
  unit_of, labels, probs, unit_labels = _items(rng)
  statistic = roc.weighted_macro(unit_of, labels, probs, len(unit_labels))
  assert statistic(np.ones(len(unit_labels))) == pytest.approx(
      roc.macro(labels, probs))
  for _ in range(5):  # Units drawn 0-3 times, as a resample draws them.
    weights = rng.integers(0, 4, len(unit_labels)).astype(float)
    for c in range(3):  # Keep a unit of each class.
      weights[np.flatnonzero(unit_labels == c)[0]] += 1
    expected = np.mean([sk_metrics.roc_auc_score(
        labels == c, probs[:, c], sample_weight=weights[unit_of])
                        for c in range(3)])
    assert statistic(weights) == pytest.approx(expected)


def test_macro_averages_the_eras_present_and_is_none_for_one():
  labels = np.array([0, 0, 1, 1])
  probs = np.array([[0.9, 0.1, 0], [0.4, 0.6, 0], [0.3, 0.7, 0],
                    [0.8, 0.2, 0]])
  # Class 0 by column 0: 0.9 outranks both others (0.3, 0.8), 0.4 one:
  # 3/4. Class 1 by column 1: 0.7 outranks both (0.1, 0.6), 0.2 one: 3/4.
  # Class 2 has no item.
  assert roc.per_class(labels, probs)[:2] == pytest.approx([0.75, 0.75])
  assert np.isnan(roc.per_class(labels, probs)[2])
  assert roc.macro(labels, probs) == pytest.approx(0.75)
  assert roc.macro(np.zeros(4, int), probs) is None


def test_interval_of_a_perfect_ranker_is_a_point_at_one():
  rng = np.random.default_rng(1)
  unit_of, labels, _, unit_labels = _items(rng)
  probs = np.eye(3)[labels] * 0.9 + 0.05  # The true era always ranks first.
  assert roc.macro(labels, probs) == 1.0
  assert roc.interval(unit_of, labels, probs, unit_labels) == [1.0, 1.0]


def test_interval_of_a_random_ranker_covers_chance_and_widens_with_fewer():
  rng = np.random.default_rng(2)
  unit_of, labels, probs, unit_labels = _items(rng, units_per_class=8,
                                               noise=1e3)
  low, high = roc.interval(unit_of, labels, probs, unit_labels)
  assert low < 0.5 < high
  unit_of, labels, probs, unit_labels = _items(rng, units_per_class=2,
                                               noise=1e3)
  low2, high2 = roc.interval(unit_of, labels, probs, unit_labels)
  assert high2 - low2 > high - low


def test_interval_matches_resampling_the_units_by_hand():
  """The bootstrap's weights are the units' draws: its interval is the
  percentile interval of sklearn's AUC of the units drawn, by the same
  scipy resampling (`metrics.unit_bootstrap`)."""
  rng = np.random.default_rng(3)
  unit_of, labels, probs, unit_labels = _items(rng, units_per_class=3)
  by_hand = metrics.unit_bootstrap(
      unit_labels, lambda w: np.mean([sk_metrics.roc_auc_score(
          labels == c, probs[:, c], sample_weight=w[unit_of])
                                      for c in range(3)]), n_resamples=200)
  fast = metrics.unit_bootstrap(
      unit_labels, roc.weighted_macro(unit_of, labels, probs,
                                      len(unit_labels)), n_resamples=200)
  assert fast.confidence_interval == pytest.approx(by_hand.confidence_interval)


def test_no_interval_without_two_units_of_a_class():
  labels = np.array([0, 0, 1, 1])
  probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8]])
  assert roc.interval(np.array([0, 0, 1, 1]), labels, probs,
                      np.array([0, 1])) is None


def test_a_paired_interval_is_a_point_against_itself_and_sees_a_better_ranker():
  rng = np.random.default_rng(4)
  unit_of, labels, probs, unit_labels = _items(rng, units_per_class=6)
  auc = lambda u, y, p: roc.weighted_macro(u, y, p, len(unit_labels))
  same = auc(unit_of, labels, probs)
  assert roc.difference_interval(same, same, unit_labels) == [0.0, 0.0]
  assert roc.difference_interval(None, same, unit_labels) is None  # 1 class.
  perfect = auc(unit_of, labels, np.eye(3)[labels] * 0.9 + 0.05)
  order = rng.permutation(len(labels))  # Items in any order.
  shuffled = auc(unit_of[order], labels[order], probs[order])
  gap = 1.0 - roc.macro(labels, probs)
  low, high = roc.difference_interval(perfect, shuffled, unit_labels)
  assert 0 < low <= gap <= high
  low2, high2 = roc.interval(unit_of, labels, probs, unit_labels)
  assert high - low == pytest.approx(high2 - low2)  # 1 minus its AUC.
