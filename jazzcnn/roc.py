"""ROC AUC of era probabilities, and its interval resampling tapes.

Balanced accuracy scores a model's decisions; the area under the ROC curve
scores how its probabilities rank the windows: the chance that a window of
an era gets more of that era's probability than a window of another one.
A model can rank well and still decide badly (a threshold away), or decide
well by one era's prior and rank the rest at random. Each era against the
rest (scikit-learn's `roc_auc_score`), averaged over the eras present: the
macro one-vs-rest AUC.

The interval resamples whole tapes or groups, as `metrics.interval` does.
Scoring each of 2,000 resamples with scikit-learn would take seconds, so
the bootstrap uses the AUC's pair form instead: the AUC of weighted items
is sum(w_i w_j win(i, j)) / (sum w_pos sum w_neg) over positive i and
negative j (a win 1 when i ranks above j, 1/2 on a tie); since every item
of a unit has the unit's weight and one true class, the wins sum into a
[units, units] matrix once, and each resample is two small products. The
tests check it against `roc_auc_score` with sample weights.
"""

import numpy as np
from sklearn import metrics as sk_metrics

from jazzcnn import metrics


def per_class(labels, probs):
  """[classes] one-vs-rest ROC AUC of each class; NaN where a class has
  no item, or every item is of it."""
  labels, probs = np.asarray(labels), np.asarray(probs)
  out = np.full(probs.shape[1], np.nan)
  for c in range(probs.shape[1]):
    positive = labels == c
    if positive.any() and not positive.all():
      out[c] = sk_metrics.roc_auc_score(positive, probs[:, c])
  return out


def macro(labels, probs):
  """The mean of `per_class` over the classes present; None under two (no
  AUC, and no NaN in a JSON report)."""
  scores = per_class(labels, probs)
  return float(np.nanmean(scores)) if np.isfinite(scores).any() else None


def pair_wins(unit_of, labels, scores, c, num_units):
  """[units, units]: over items i of class c in unit u and items j of
  another class in unit v, the sum of win(i, j) (1 if scores[i] >
  scores[j], 1/2 if equal): the AUC's numerator by pairs of units."""
  positive = labels == c
  pos_scores, pos_units = scores[positive], unit_of[positive]
  wins = np.zeros((num_units, num_units))
  for v in np.unique(unit_of[~positive]):
    below = np.sort(scores[~positive & (unit_of == v)])
    lower = np.searchsorted(below, pos_scores, 'left')
    upper = np.searchsorted(below, pos_scores, 'right')
    np.add.at(wins[:, v], pos_units, lower + 0.5 * (upper - lower))
  return wins


def weighted_macro(unit_of, labels, probs, num_units):
  """A function of unit weights [units] to the macro AUC of the items with
  their unit's weight (what `macro` gives for the items repeated as often
  as their unit is drawn); None under two classes present."""
  unit_of, labels = np.asarray(unit_of), np.asarray(labels)
  terms = []
  for c in np.unique(labels):
    positive = labels == c
    if positive.all():
      continue
    terms.append((pair_wins(unit_of, labels, probs[:, c], c, num_units),
                  np.bincount(unit_of[positive], minlength=num_units),
                  np.bincount(unit_of[~positive], minlength=num_units)))
  if not terms:
    return None
  return lambda w: float(np.mean(
      [w @ wins @ w / ((w @ pos) * (w @ neg)) for wins, pos, neg in terms]))


def interval(unit_of, labels, probs, unit_labels, *, seed=0):
  """A percentile bootstrap interval of the macro AUC of items (windows or
  tapes), resampling their units within each true class.

  Args:
    unit_of: [N] each item's unit index (`metrics.units`).
    labels: [N] true class of each item.
    probs: [N, classes] its probabilities.
    unit_labels: [units] the true class of each unit.
    seed: of the resampling.

  Returns:
    [low, high], or None when no class has two units or under two classes.
  """
  statistic = weighted_macro(unit_of, labels, np.asarray(probs),
                             len(unit_labels))
  if statistic is None:
    return None
  return metrics.unit_interval(unit_labels, statistic, seed=seed)


def difference_interval(first, second, unit_labels, *, seed=0):
  """A paired percentile bootstrap interval of macro AUC(a) - AUC(b): two
  classifiers' probabilities of the same units' items, every resample
  drawing the same units for both (as `metrics.difference_interval` does
  for the confusion scores).

  Args:
    first, second: `weighted_macro` of each classifier's items (None under
      two classes), over the units of `unit_labels`; made once, a model's
      serves its difference from each of several baselines.
    unit_labels: [units] the true class of each unit.
    seed: of the resampling.

  Returns:
    [low, high], or None when no class has two units or under two classes.
  """
  if first is None or second is None:
    return None
  return metrics.unit_interval(unit_labels, lambda w: first(w) - second(w),
                               seed=seed)
