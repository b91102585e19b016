"""Baselines fitted on the train split of the same records, for `evaluate`.

Each is a logistic regression (standardised features, balanced class
weights, L2) on fixed per-window features, its regularisation C chosen from
`CS` on the validation split (the strongest within one standard error of
the best balanced accuracy, the error resampling the split's groups of
tapes, `fit`) and then fitted on the train split
alone, as the CNN is (validation picks its best epoch):

- `mel_stats`: each log-mel band's mean and standard deviation over the
  window (128 + 128 features, the model's own front end). A CNN that does
  not beat it by a wide margin has learned little beyond the spectral
  balance of the recordings.
- `musicnn_msd`: the pooled features (1506) of musicnn pretrained on the
  Million Song Dataset, averaged over the window's 3 s patches: the
  reference a music-ML engineer tries first on a few hundred labelled tapes.
- `musicnn_stats`: the same features' mean and standard deviation over the
  patches (3012), the statistics `--model=musicnn_msd_stats` learns from.
- `musicnn_mtt`: as `musicnn_msd`, from the wheel's other checkpoint, the
  same network pretrained on MagnaTagATune (a smaller dataset: ~26k clips,
  50 tags); for `probe` (BENCHMARKS.md: not above MSD's beyond noise on any
  check corpus).

The features are `fixed_features`' (computed once per records directory
and cached beside it). `musicnn_msd` takes the first half of
`musicnn_stats`' features, so the two share one forward pass and one
cache; `musicnn_mtt` has its own (`musicnn_mtt_stats`).
"""

import dataclasses

import numpy as np
from sklearn import base
from sklearn import calibration
from sklearn import linear_model
from sklearn import metrics as sk_metrics
from sklearn import model_selection
from sklearn import neural_network
from sklearn import pipeline
from sklearn import preprocessing
from sklearn import svm
from sklearn.utils import class_weight

from jazzcnn import dataset_info
from jazzcnn import evaluate_lib
from jazzcnn import fixed_features
from jazzcnn import metrics
from jazzcnn.models import musicnn


@dataclasses.dataclass(frozen=True)
class Baseline:
  features: str  # A key of fixed_features.FEATURES.
  columns: int = 0  # It uses the first this many of them; 0: all.


BASELINES = {
    'mel_stats': Baseline('mel_stats'),
    'musicnn_msd': Baseline('musicnn_stats',
                            musicnn.POOLED_FEATURES),  # The means.
    'musicnn_stats': Baseline('musicnn_stats'),
    'musicnn_mtt': Baseline('musicnn_mtt_stats', musicnn.POOLED_FEATURES),
}


def split_features(data_dir, info, split, name, *, batch_size=32,
                   memos=None):
  """(features [N, D], labels [N], tape ids [N]) of a split for baseline
  `name` (a key of BASELINES): `fixed_features.split` of its features,
  their first `columns`. `memos`: as `fixed_features.split`'s."""
  baseline = BASELINES[name]
  x, y, tapes = fixed_features.split(data_dir, info, split, baseline.features,
                                     batch_size=batch_size, memos=memos)
  return x[:, :baseline.columns or x.shape[1]], y, tapes


# C=1 overfits a few hundred windows of 256–1506 features: on the check
# corpus's folds C=0.01 raised mel_stats from 0.57 to 0.63 (BENCHMARKS.md).
CS = (0.001, 0.01, 0.1, 1.0)

# Heads on standardised features, each with the grid its regularisation is
# chosen from on validation, strongest regularisation first (`fit` takes
# the first within noise of the best). `evaluate`'s baselines use
# 'logistic'; the others are for `probe` (how far a richer head gets on the
# same features).
# Every head weights the eras equally, by one mechanism: `fit` gives each
# balanced sample weights. (`class_weight` would not do for all: the MLP
# has none, and the SVM's sigmoid calibration, fitted on skewed eras,
# undoes its own; in the test, minority recall 0.59 that way, 0.85
# weighted.)
HEADS = {
    'logistic': (lambda seed: linear_model.LogisticRegression(
        max_iter=5000, random_state=seed),
                 {'C': CS}),
    # Probabilities by calibrating its decision function (3-fold sigmoid).
    'svm': (lambda seed: calibration.CalibratedClassifierCV(
        svm.SVC(random_state=seed), cv=3, ensemble=False),
            {'estimator__C': (0.1, 1.0, 10.0)}),
    'mlp': (lambda seed: neural_network.MLPClassifier(
        (200,), max_iter=1000, random_state=seed),
            {'alpha': (1.0, 0.1, 0.01)}),
}


def validation_error(y_val, predicted, val_units=None):
  """The one-standard-error rule's error of a validation balanced accuracy:
  the bootstrap error resampling `val_units` (each window's group or tape)
  within each era (`metrics.standard_error`), or, without units or where no
  era has two to resample, the binomial error of windows taken as
  independent (`metrics.balanced_accuracy_se`, a lower bound)."""
  y_val, predicted = np.asarray(y_val), np.asarray(predicted)
  num_classes = int(max(y_val.max(), predicted.max())) + 1
  if val_units is not None:
    unit_of, unit_labels = metrics.units(val_units, y_val)
    error = metrics.standard_error(
        unit_labels, metrics.unit_counts(unit_of, predicted, num_classes),
        metrics.balanced_accuracy)
    if error is not None:
      return error
  return metrics.balanced_accuracy_se(
      metrics.confusion(y_val, predicted, num_classes))


def fit(x, y, x_val, y_val, val_units=None, *, head='logistic', seed=0):
  """The fitted scikit-learn classifier: standardise, then `head` (a key of
  `HEADS`), fitted on (x, y) alone.

  Its regularisation is the strongest of the head's grid whose validation
  balanced accuracy is within one standard error of the best one's (the
  one-standard-error rule). The error is `validation_error`'s: with
  `val_units` (the group or tape of each validation window) it resamples
  them, since a tape's windows are not independent evidence; without, it
  is the smaller binomial error of independent windows. Taking the plain
  best was fragile: on a few hundred validation windows, regularisations a
  few thousandths apart traded places with float-level changes in the
  features, and their test scores differed by up to 0.1 (BENCHMARKS.md).
  """
  make, grid = HEADS[head]
  classifier = pipeline.Pipeline([('scale', preprocessing.StandardScaler()),
                                  ('head', make(seed))])
  weights = class_weight.compute_sample_weight('balanced', y)
  fitted, scores, predictions = [], [], []
  # One key a head: the grid keeps its order, strongest first.
  for params in model_selection.ParameterGrid(
      {f'head__{k}': v for k, v in grid.items()}):
    candidate = base.clone(classifier).set_params(**params).fit(
        x, y, head__sample_weight=weights)
    predictions.append(candidate.predict(x_val))
    scores.append(sk_metrics.balanced_accuracy_score(y_val, predictions[-1]))
    fitted.append(candidate)
  best = int(np.argmax(scores))
  error = validation_error(y_val, predictions[best], val_units)
  return next(f for f, s in zip(fitted, scores) if s >= scores[best] - error)


def chosen_regularisation(classifier, head='logistic'):
  """{parameter: value} of a `fit` classifier's head for its grid's keys,
  e.g. {'C': 0.01}: what the one-standard-error rule chose."""
  params = classifier.get_params()
  return {k: params[f'head__{k}'] for k in HEADS[head][1]}


def group_subset(tapes, labels, info, fraction, seed):
  """Which windows [N] of a split belong to a random `fraction` of each
  era's groups (the units the split keeps together,
  `evaluate_lib.split_groups`): round(fraction x groups), at least one,
  drawn with `seed`. For a learning curve: how the score grows with the
  number of distinct training pieces.

  Raises:
    ValueError: for a fraction outside (0, 1].
  """
  if not 0 < fraction <= 1:
    raise ValueError(f'a training fraction must be in (0, 1], got {fraction}')
  group = evaluate_lib.split_groups(tapes, labels, info)
  group_of = [group[t] for t in tapes]
  rng = np.random.default_rng(seed)
  kept = set()
  for era in sorted(set(labels.tolist())):
    groups = sorted({g for g, l in zip(group_of, labels) if l == era})
    count = max(1, round(fraction * len(groups)))
    kept.update(rng.choice(groups, count, replace=False).tolist())
  return np.array([g in kept for g in group_of], bool)


def check_splits(data_dir, info):
  """Raises ValueError, naming the split, unless train and validation have
  windows, train of two or more eras: a baseline is fitted on train with
  its C chosen on validation.
  """
  for split in ('train', 'validation'):
    try:
      dataset_info.split_files(data_dir, info, split)
    except ValueError as e:
      raise ValueError(f'{e}: the baselines fit on the train split and '
                       'choose C on the validation split') from e
  dataset_info.check_learnable(data_dir, info)


def read_scored_records(data_dir):
  """dataset_info of records that heads can be fitted on (train), tuned on
  (validation) and scored on (test).

  Raises:
    ValueError: naming what is missing (the records, or a split).
  """
  info = dataset_info.read(data_dir)
  check_splits(data_dir, info)
  dataset_info.split_files(data_dir, info, 'test')  # Scored.
  return info


def probabilities(data_dir, info, split, name, *, head='logistic',
                  batch_size=32, train_fraction=1.0, seed=0, memos=None):
  """Window probabilities [N, eras] of baseline `name` on `split`, `head`
  fitted on the train split; with the windows' labels and tape ids, and
  the regularisation validation chose (`chosen_regularisation`).

  With train_fraction < 1 the head is fitted on the windows of that
  fraction of each era's training groups (`group_subset`, drawn by `seed`);
  its regularisation is still chosen on the whole validation split.
  `memos`: as `split_features`'.

  Raises:
    ValueError: for an unknown baseline name or a fraction outside (0, 1].
  """
  if name not in BASELINES:
    raise ValueError(f'unknown baseline {name!r}; choose from '
                     f'{sorted(BASELINES)}')
  x_train, y_train, tapes_train = split_features(
      data_dir, info, 'train', name, batch_size=batch_size, memos=memos)
  if train_fraction != 1:
    keep = group_subset(tapes_train, y_train, info, train_fraction, seed)
    x_train, y_train = x_train[keep], y_train[keep]
  x_val, y_val, tapes_val = split_features(
      data_dir, info, 'validation', name, batch_size=batch_size, memos=memos)
  group = evaluate_lib.split_groups(tapes_val, y_val, info)
  classifier = fit(x_train, y_train, x_val, y_val,
                   [group[t] for t in tapes_val], head=head)
  x, y, tapes = split_features(data_dir, info, split, name,
                               batch_size=batch_size, memos=memos)
  probs = np.zeros((len(x), len(info['eras'])), np.float64)
  probs[:, classifier.classes_] = classifier.predict_proba(x)
  return probs, y, tapes, chosen_regularisation(classifier, head)
