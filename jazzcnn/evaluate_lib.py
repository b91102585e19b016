"""Window- and tape-level metrics of a trained model on one split."""

import collections
import hashlib

import numpy as np

from jazzcnn import features
from jazzcnn import metrics
from jazzcnn import models
from jazzcnn import naming
from jazzcnn import records_check
from jazzcnn import roc


def predict_split(model, data_dir, info, split, *, batch_size=32, memo=None):
  """Runs the model over a split: one full pass, checked.

  Args:
    model: a Keras model of int16 windows.
    data_dir, info: the records and their dataset_info.json.
    split: which split.
    batch_size: windows per batch.
    memo: None, or a dict {`fingerprint` of a window: the model's output
      row for it} that this reads and fills: a window already in it is not
      run through the model again. For a model of one output row per
      window; one memo per model. The K folds of a corpus hold the same
      windows, split differently, so a memo shared over them runs each
      window once instead of K times.

  Returns:
    (probs [N, eras] float, labels [N] int, tape_ids [N] str), in the
    pipeline's deterministic order.

  Raises:
    records_check.CorruptRecords: naming the damaged shard.
    dataset_info.WindowCountError: when the pass read another number of
      windows than dataset_info.json lists (a shard cut short).
  """
  run = models.inference_fn(model)
  probs, labels, tapes = [], [], []
  for batch in records_check.full_pass(
      data_dir, info, split, batch_size=batch_size,
      keys=(features.WAVEFORM, features.LABEL, features.TAPE_ID)):
    pcm = batch[features.WAVEFORM]
    probs.append(run(pcm).numpy() if memo is None else
                 _memoized(run, pcm.numpy(), memo))
    labels.append(batch[features.LABEL].numpy())
    tapes.extend(t.decode() for t in batch[features.TAPE_ID].numpy())
  return np.concatenate(probs), np.concatenate(labels), np.array(tapes)


def fingerprint(pcm):
  """A window's key in a `predict_split` memo: 16 bytes of BLAKE2b of its
  samples (int16 [samples]), so equal audio finds its output wherever it
  was read."""
  return hashlib.blake2b(pcm.tobytes(), digest_size=16).digest()


def _memoized(run, pcm, memo):
  """run(pcm) [N, ...], only the windows missing from memo run."""
  keys = [fingerprint(row) for row in pcm]
  missing = [i for i, key in enumerate(keys) if key not in memo]
  if missing:
    for i, row in zip(missing, run(pcm[missing]).numpy()):
      memo[keys[i]] = row
  return np.stack([memo[key] for key in keys])


# What a window's output rows depend on here: caches of them
# (`fixed_features.fingerprint`) follow this code, not the whole module's.
PREDICTION_CODE = (predict_split, fingerprint, _memoized, models.inference_fn)


def evaluate_split(model, data_dir, info, split, *, batch_size=32):
  """`compute_metrics` of a split, plus its mean cross-entropy (`loss`).

  The intervals resample the split's groups (dataset_info's `split_by`).
  """
  probs, labels, tape_ids = predict_split(model, data_dir, info, split,
                                          batch_size=batch_size)
  return split_metrics(probs, labels, tape_ids, info)


def split_groups(tape_ids, labels, info):
  """{tape: group}: the units the records' split keeps together
  (`naming.split_key` under their `split_by`)."""
  split_by = info.get('split_by', 'tape')
  return {t: naming.split_key(t, info['eras'][l], split_by)
          for t, l in zip(tape_ids, labels)}


def _resampled_groups(tape_ids, labels, info):
  """`split_groups` where the records group tapes, else None (tapes)."""
  grouped = info.get('split_by', 'tape') != 'tape'
  return split_groups(tape_ids, labels, info) if grouped else None


def split_metrics(probs, labels, tape_ids, info):
  """`compute_metrics` with the records' grouping, plus `loss`."""
  out = compute_metrics(probs, labels, tape_ids, info['eras'],
                        group_of=_resampled_groups(tape_ids, labels, info))
  out['loss'] = metrics.cross_entropy(probs, labels)
  return out


BALANCED = ('window_balanced_accuracy', 'tape_balanced_accuracy')
HEADLINE = BALANCED + ('window_macro_f1', 'tape_macro_f1')
# How the probabilities rank windows and tapes (`roc`); in metrics.json
# since 2026-11-29, so optional where older ones are read.
RANKING = ('window_roc_auc', 'tape_roc_auc')
# A results table's test scores (`compare`, `probe`): the decisions'
# balanced accuracy, then how the probabilities rank, of windows and tapes.
TABLE_SCORES = BALANCED + RANKING


def headline(metrics_dict):
  """The balanced scores, the ROC AUCs where present, and their
  intervals: what a baseline reports."""
  return {k: metrics_dict[k] for key in HEADLINE + RANKING
          if key in metrics_dict for k in (key, key + '_ci')}


def per_class(matrix, names, auc):
  """{name: precision, recall, f1, support} from a confusion matrix, and
  `roc_auc` from auc [classes] (`roc.per_class`; None where NaN)."""
  out = {}
  for i, name in enumerate(names):
    tp = matrix[i, i]
    predicted, actual = matrix[:, i].sum(), matrix[i, :].sum()
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = (2 * precision * recall / (precision + recall)
          if precision + recall else 0.0)
    out[name] = {'precision': float(precision), 'recall': float(recall),
                 'f1': float(f1), 'support': int(actual),
                 'roc_auc': float(auc[i]) if np.isfinite(auc[i]) else None}
  return out


def tape_level(probs, labels, tape_ids):
  """A tape's era from its windows' mean probabilities.

  Returns:
    (tape ids, mean probs [tapes, eras], labels [tapes]), tapes sorted.
  """
  by_tape = collections.defaultdict(list)
  for i, tape in enumerate(tape_ids):
    by_tape[tape].append(i)
  tapes = sorted(by_tape)
  mean = np.stack([probs[by_tape[t]].mean(axis=0) for t in tapes])
  tape_labels = np.array([labels[by_tape[t][0]] for t in tapes])
  return tapes, mean, tape_labels


def compute_metrics(probs, labels, tape_ids, eras, *, group_of=None,
                    seed=0):
  """Everything `evaluate` reports, as a JSON-ready dict.

  Args:
    probs: [N, eras] window probabilities.
    labels: [N] true era index.
    tape_ids: [N] tape of each window.
    eras: era names.
    group_of: {tape: group} (the split's grouping, e.g. artist_era); the
      intervals resample groups when given, else tapes.
    seed: of the bootstrap.
  """
  n = len(eras)
  predicted = probs.argmax(axis=1)
  matrix = metrics.confusion(labels, predicted, n)
  (tapes, tape_probs, tape_labels), unit_labels, counts, items = (
      _unit_counts(probs, labels, tape_ids, n, group_of))
  tape_matrix = metrics.confusion(tape_labels, tape_probs.argmax(axis=1), n)
  out = {'eras': list(eras), 'windows': int(len(labels)), 'tapes': len(tapes),
         'resampled': 'groups' if group_of else 'tapes',
         'resampling_units': len(unit_labels),
         'fewest_units_an_era': int(min(c for c in np.bincount(unit_labels)
                                        if c)),
         'confidence': metrics.CONFIDENCE}
  for level, m in (('window', matrix), ('tape', tape_matrix)):
    for name, score in metrics.SCORES.items():
      out[f'{level}_{name}'] = score(m)
      out[f'{level}_{name}_ci'] = metrics.interval(
          unit_labels, counts[level], score, seed=seed)
  for level, (unit_of, y, p) in items.items():
    out[f'{level}_roc_auc'] = roc.macro(y, p)
    out[f'{level}_roc_auc_ci'] = roc.interval(unit_of, y, p, unit_labels,
                                              seed=seed)
  # The seed's table: for the windows of each true era, the mean softmax.
  confidence = {
      era: ({e: float(v) for e, v in zip(eras, probs[labels == i].mean(0))}
            if (labels == i).any() else None)
      for i, era in enumerate(eras)}
  out.update({
      'per_era': per_class(matrix, eras, roc.per_class(labels, probs)),
      'confusion_matrix': matrix.tolist(),
      'tape_confusion_matrix': tape_matrix.tolist(),
      'mean_confidence': confidence,
  })
  return out


def _unit_counts(probs, labels, tape_ids, n, group_of):
  """(`tape_level`'s tuple, unit_labels, {'window', 'tape': [units, n]
  counts}, {'window', 'tape': (unit index [items], labels [items], probs
  [items, n])}): the units the intervals resample (groups of tapes, or
  tapes; sorted by name), per unit its windows' and its tapes' predictions
  by era, and the windows and the tapes each with its unit."""
  tapes, tape_probs, tape_labels = tape_level(probs, labels, tape_ids)
  unit_of_tape, unit_labels = metrics.units(
      [group_of[t] for t in tapes] if group_of else tapes, tape_labels)
  tape_index = {t: i for i, t in enumerate(tapes)}
  items = {'window': (unit_of_tape[[tape_index[t] for t in tape_ids]],
                      labels, probs),
           'tape': (unit_of_tape, tape_labels, tape_probs)}
  counts = {level: metrics.unit_counts(unit_of, p.argmax(axis=1), n)
            for level, (unit_of, _, p) in items.items()}
  return (tapes, tape_probs, tape_labels), unit_labels, counts, items


def difference_intervals(model, baselines, info, *, seed=0):
  """The paired intervals of the model's scores minus each baseline's.

  Each interval resamples the records' groups as `split_metrics` does,
  the same units for both (`metrics.difference_interval`,
  `roc.difference_interval`); the model's units are counted once for all.

  Args:
    model: (probs, labels, tape_ids) of a split's windows.
    baselines: {name: (probs, labels, tape_ids)} of the same windows, each
      in any order.
    info: the records' dataset_info.
    seed: of the resampling.

  Returns:
    {name: {'window_balanced_accuracy', 'tape_balanced_accuracy',
    'window_roc_auc', 'tape_roc_auc': [low, high], or None where there is
    nothing to resample}}.

  Raises:
    ValueError: when a baseline did not score the same tapes.
  """
  n = len(info['eras'])
  counted = lambda probs, labels, tape_ids: _unit_counts(
      probs, labels, tape_ids, n, _resampled_groups(tape_ids, labels, info))
  _, unit_labels, counts, items = counted(*model)
  auc = lambda level_items: roc.weighted_macro(*level_items, len(unit_labels))
  model_auc = {level: auc(level_items) for level, level_items in items.items()}
  out = {}
  for name, baseline in baselines.items():
    _, their_labels, their_counts, their_items = counted(*baseline)
    if not np.array_equal(unit_labels, their_labels) or any(
        not np.array_equal(counts[level].sum(axis=1),
                           their_counts[level].sum(axis=1))
        for level in counts):
      raise ValueError(f'the model and baseline {name} scored other windows')
    out[name] = {}
    for level in ('window', 'tape'):
      out[name][f'{level}_balanced_accuracy'] = metrics.difference_interval(
          unit_labels, counts[level], their_counts[level],
          metrics.balanced_accuracy, seed=seed)
    for level in ('window', 'tape'):
      out[name][f'{level}_roc_auc'] = roc.difference_interval(
          model_auc[level], auc(their_items[level]), unit_labels, seed=seed)
  return out
