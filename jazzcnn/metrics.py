"""Scores of a classifier and their bootstrap intervals.

Balanced accuracy (the mean recall over the eras present) and macro-F1 are
the headline numbers: the eras are unbalanced, and plain accuracy once hid a
constant predictor. Intervals resample whole tapes (or groups of tapes),
never windows: a tape's windows are not independent evidence.
"""

import warnings

import numpy as np
from scipy import stats
from sklearn import metrics as sk_metrics

CONFIDENCE = 0.95
RESAMPLES = 2000


def confusion(labels, predicted, num_classes):
  """[true, predicted] counts (scikit-learn's, over all `num_classes`)."""
  return sk_metrics.confusion_matrix(labels, predicted,
                                     labels=np.arange(num_classes))


def balanced_accuracy(matrix):
  """Mean recall over the classes with support (rows of `matrix` > 0)."""
  matrix = np.asarray(matrix, np.float64)
  support = matrix.sum(axis=1)
  present = support > 0
  if not present.any():
    return float('nan')
  return float((np.diag(matrix)[present] / support[present]).mean())


def balanced_accuracy_se(matrix):
  """Standard error of `balanced_accuracy` were windows independent: each
  class's recall a binomial proportion over its windows, sqrt(sum r (1 - r)
  / n) / classes. Windows of one tape are not, so this is a lower bound;
  `standard_error` resamples tapes instead, and `baselines.fit` falls back
  on this one only where no class has two tapes to resample."""
  matrix = np.asarray(matrix, np.float64)
  support = matrix.sum(axis=1)
  present = support > 0
  if not present.any():
    return float('nan')
  recall = np.diag(matrix)[present] / support[present]
  return float(np.sqrt((recall * (1 - recall) / support[present]).sum()) /
               present.sum())


def cross_entropy(probs, labels):
  """Mean -log p(true era) of windows (probabilities clipped at 1e-7)."""
  picked = np.clip(probs[np.arange(len(labels)), labels], 1e-7, 1.0)
  return float(-np.log(picked).mean())


def macro_f1(matrix):
  """F1 averaged over the classes with support (0 where none is predicted)."""
  matrix = np.asarray(matrix, np.float64)
  support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
  present = support > 0
  tp = np.diag(matrix)
  denominator = support + predicted
  f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp),
                 where=denominator > 0)
  return float(f1[present].mean()) if present.any() else float('nan')


def accuracy(matrix):
  """Plain accuracy: the diagonal's share (hides a constant predictor)."""
  matrix = np.asarray(matrix, np.float64)
  return float(np.trace(matrix) / matrix.sum()) if matrix.sum() else float(
      'nan')


SCORES = {'balanced_accuracy': balanced_accuracy, 'macro_f1': macro_f1,
          'accuracy': accuracy}


def units(keys, labels):
  """Resampling units from items keyed by their unit (tape or group).

  Args:
    keys: [N] each item's unit key.
    labels: [N] each item's true class (one per unit).

  Returns:
    (unit_of [N], the index of each item's unit; unit_labels [units], the
    true class of each unit).
  """
  names, unit_of = np.unique(np.asarray(keys), return_inverse=True)
  unit_labels = np.zeros(len(names), np.int64)
  unit_labels[unit_of] = labels
  return unit_of, unit_labels


def unit_counts(unit_of, predicted, num_classes):
  """Per resampling unit, its predictions' counts by class.

  Args:
    unit_of: [N] unit index (tape or group) of each prediction.
    predicted: [N] predicted class.
    num_classes: classes.

  Returns:
    [units, num_classes] counts.
  """
  counts = np.zeros((int(unit_of.max()) + 1, num_classes), np.int64)
  np.add.at(counts, (unit_of, predicted), 1)
  return counts


def unit_bootstrap(unit_labels, statistic, *, confidence=CONFIDENCE,
                   n_resamples=RESAMPLES, seed=0, method='percentile'):
  """scipy.stats.bootstrap of a statistic of unit weights, resampling units
  (tapes or groups) with replacement within each true class.

  Args:
    unit_labels: [units] true class of each unit.
    statistic: a function of weights [units] (how many times each unit was
      drawn; 1 for each unit of the original sample) to a float.
    confidence, n_resamples, seed, method: of the bootstrap (scipy's
      method: 'percentile', 'basic' or 'BCa'; tools/bootstrap_coverage.py
      measures them).

  Returns:
    scipy's BootstrapResult, or None when no class has two units. A class
    with a single unit cannot be resampled and keeps it at weight 1.
  """
  unit_labels = np.asarray(unit_labels)
  fixed = np.ones(len(unit_labels))
  samples = []
  for c in np.unique(unit_labels):
    members = np.flatnonzero(unit_labels == c)
    if len(members) > 1:
      samples.append(members)
      fixed[members] = 0
  if not samples:
    return None

  def resampled(*indices):
    weights = fixed.copy()
    for idx in indices:
      np.add.at(weights, idx, 1)
    return statistic(weights)

  with warnings.catch_warnings():
    warnings.simplefilter('ignore')  # Degenerate (constant) statistics.
    return stats.bootstrap(
        samples, resampled, n_resamples=n_resamples, paired=False,
        vectorized=False, confidence_level=confidence, method=method,
        rng=np.random.default_rng(seed))


def unit_interval(unit_labels, statistic, *, confidence=CONFIDENCE,
                  n_resamples=RESAMPLES, seed=0, method='percentile'):
  """The interval of `unit_bootstrap`: [low, high], or None when no class
  has two units."""
  result = unit_bootstrap(unit_labels, statistic, confidence=confidence,
                          n_resamples=n_resamples, seed=seed, method=method)
  if result is None:
    return None
  low, high = result.confidence_interval
  return [float(low), float(high)]


def _weighted_confusion(unit_labels, counts):
  """A function of unit weights [units] to the confusion matrix of the
  units' prediction counts, each unit's counted as often as it was drawn."""
  counts = np.asarray(counts)
  one_hot = np.eye(counts.shape[1])[np.asarray(unit_labels)]  # [units, k]
  return lambda weights: one_hot.T @ (weights[:, None] * counts)


def interval(unit_labels, counts, score, *, confidence=CONFIDENCE,
             n_resamples=RESAMPLES, seed=0):
  """A percentile bootstrap interval of `score`, resampling units per class.

  Units (tapes or groups) are resampled with replacement within each true
  class (a stratified bootstrap: every resample keeps every class, as the
  balanced scores need), with scipy.stats.bootstrap. A class with a single
  unit cannot be resampled and stays as it is.

  Args:
    unit_labels: [units] true class of each unit.
    counts: [units, classes] its predictions' counts (`unit_counts`).
    score: a function of a confusion matrix, e.g. `balanced_accuracy`.
    confidence: of the interval.
    n_resamples: bootstrap resamples.
    seed: of the resampling.

  Returns:
    [low, high], or None when no class has two units.
  """
  confusion_of = _weighted_confusion(unit_labels, counts)
  return unit_interval(unit_labels, lambda w: score(confusion_of(w)),
                       confidence=confidence, n_resamples=n_resamples,
                       seed=seed)


def difference_interval(unit_labels, counts_a, counts_b, score, *,
                        confidence=CONFIDENCE, n_resamples=RESAMPLES, seed=0):
  """A paired percentile bootstrap interval of score(a) - score(b): two
  classifiers' predictions of the same units (`unit_counts` of each, rows
  in the same unit order), every resample drawing the same units for both,
  within each true class as `interval` does. Where the two err on the same
  tapes, this is far narrower than the gap between their own intervals.

  Returns:
    [low, high], or None when no class has two units.
  """
  a = _weighted_confusion(unit_labels, counts_a)
  b = _weighted_confusion(unit_labels, counts_b)
  return unit_interval(unit_labels, lambda w: score(a(w)) - score(b(w)),
                       confidence=confidence, n_resamples=n_resamples,
                       seed=seed)


def standard_error(unit_labels, counts, score, *, n_resamples=RESAMPLES,
                   seed=0):
  """The bootstrap standard error of `score`, resampling units (tapes or
  groups) within each true class as `interval` does: the noise a score
  carries when a tape's windows are not independent evidence.

  Returns:
    The error (the resampled scores' standard deviation), or None when no
    class has two units.
  """
  confusion_of = _weighted_confusion(unit_labels, counts)
  result = unit_bootstrap(unit_labels, lambda w: score(confusion_of(w)),
                          n_resamples=n_resamples, seed=seed)
  return None if result is None else float(result.standard_error)


def knn_agreement(similarity, labels, *, k=1, groups=None, queried=None):
  """Leave-one-out k-nearest-neighbour accuracy of labelled items.

  Each item's label is predicted by a majority vote of its k most similar
  other items (ties: the most similar of the tied labels).

  Args:
    similarity: [n, n] similarities (cosine of tape embeddings).
    labels: [n] labels; None for items that are neither queried nor voted.
    k: neighbours that vote.
    groups: [n] group of each item (e.g. the artist): a query's own group
      is excluded from its neighbours. None: only the item itself.
    queried: [n] bools, which labelled items are queried (e.g. the tapes a
      model did not train on); all of them vote. None: every one.

  Returns:
    The fraction of labelled queries whose vote is their label, or None when
    no query has a neighbour.
  """
  similarity = np.asarray(similarity, np.float64)
  labelled = [i for i, label in enumerate(labels) if label is not None]
  hits = queries = 0
  for i in labelled:
    if queried is not None and not queried[i]:
      continue
    others = [j for j in labelled if j != i and
              (groups is None or groups[j] != groups[i])]
    if not others:
      continue
    nearest = sorted(others, key=lambda j: -similarity[i, j])[:k]
    votes = {}
    for rank, j in enumerate(nearest):
      count, best = votes.get(labels[j], (0, rank))
      votes[labels[j]] = (count + 1, min(best, rank))
    winner = min(votes, key=lambda label: (-votes[label][0], votes[label][1]))
    hits += winner == labels[i]
    queries += 1
  return hits / queries if queries else None


def fold_summary(values, *, confidence=CONFIDENCE, bounds=(0.0, 1.0)):
  """Mean of per-fold scores and a t-interval for it.

  Over a few folds a t-interval is wide and symmetric, so near a bound of
  the score it reaches past it (0.93 [0.78, 1.07] for five folds near
  1.0); its ends are clipped to `bounds`, the values a score can take.

  Args:
    values: one score per fold.
    confidence: of the interval.
    bounds: (lowest, highest) possible score: (0, 1) for an accuracy,
      (-1, 1) for the difference of two.

  Returns:
    {'mean', 'std', 'folds', 'ci': [low, high] or None for one fold}.
  """
  values = np.asarray(values, np.float64)
  mean = float(values.mean())
  if len(values) < 2:
    return {'mean': mean, 'std': 0.0, 'folds': len(values), 'ci': None}
  sem = stats.sem(values)
  low, high = ((mean, mean) if sem == 0 else stats.t.interval(
      confidence, len(values) - 1, loc=mean, scale=sem))
  return {'mean': mean, 'std': float(values.std(ddof=1)),
          'folds': len(values),
          'ci': [float(max(low, bounds[0])), float(min(high, bounds[1]))]}
