"""K folds' test metrics as one report: means with t-intervals, and the
paired differences between two models on the same folds (`aggregate`)."""

from jazzcnn import evaluate_lib
from jazzcnn import metrics
from jazzcnn import provenance


# The scores a fold's metrics.json must hold to be aggregated; the ROC
# AUCs (`evaluate_lib.RANKING`) are aggregated too where every fold has them.
SCORES = evaluate_lib.HEADLINE + ('window_accuracy', 'tape_accuracy')


def _with_ranking(keys, *metrics_lists):
  """keys, and each ROC AUC that every dict of every list holds (not None:
  a split of one era has none)."""
  return tuple(keys) + tuple(
      k for k in evaluate_lib.RANKING
      if all(m.get(k) is not None for ms in metrics_lists for m in ms))


def missing_keys(fold_metrics):
  """What `aggregate_folds` needs that one fold's metrics lack (a JSON
  object of `evaluate`'s metrics.json); [] when nothing is missing."""
  if not isinstance(fold_metrics, dict):
    return ['fields (it is not a JSON object)']
  return [k for k in ('eras', 'windows', 'tapes') + SCORES
          if k not in fold_metrics]


def aggregate_folds(fold_metrics, against=None):
  """One report from the metrics.json of K folds (`build_records --folds`).

  Args:
    fold_metrics: the metrics dicts of the K test folds.
    against: optionally, another model's metrics on the same K folds (in
      any order when they name their records, `split_tapes`; else in the
      same order): the report then has each headline score's paired
      difference (this model minus that one) under 'difference'.

  Returns:
    {'folds': K, 'windows', 'tapes': totals, 'model': {score: summary},
     'baselines': {name: {score: summary}}, 'minus_baselines': {name:
     {balanced accuracy: summary of the model's per-fold difference from
     it}}}, each summary the folds' mean with a t-interval
    (`metrics.fold_summary`).

  Raises:
    ValueError: for folds of different eras, or none, or one fold twice;
      for a fold scored by a model that heard some of its test tapes or
      groups in training (`provenance.heard_in_training`); for
      `against` folds that are not the same test splits.
  """
  if not fold_metrics:
    raise ValueError('no metrics to aggregate')
  first = {}
  for i, key in enumerate(m.get('split_tapes') for m in fold_metrics):
    if key in first:
      raise ValueError(f'folds {first[key]} and {i} were scored on the same '
                       f'records (split_tapes {key}): name each fold once')
    if key:  # evaluate's metrics name their records since 2026-11-29.
      first[key] = i
  _check_held_out(fold_metrics, 'fold')
  _check_held_out(against or [], '--against fold')
  eras = fold_metrics[0]['eras']
  if any(m['eras'] != eras for m in fold_metrics):
    raise ValueError('the folds were evaluated on different eras')
  out = {'folds': len(fold_metrics), 'eras': eras,
         'windows': sum(m['windows'] for m in fold_metrics),
         'tapes': sum(m['tapes'] for m in fold_metrics),
         'model': {k: metrics.fold_summary([m[k] for m in fold_metrics])
                   for k in _with_ranking(SCORES, fold_metrics)},
         'baselines': {}}
  names = set.intersection(*(set(m.get('baselines', {})) for m in
                             fold_metrics))
  for name in sorted(names):
    scored = [m['baselines'][name] for m in fold_metrics]
    out['baselines'][name] = {
        k: metrics.fold_summary([b[k] for b in scored])
        for k in _with_ranking(evaluate_lib.HEADLINE, scored)}
  # The model minus each baseline, fold by fold: both scored each fold's
  # same test tapes, so the folds' own difficulty cancels.
  out['minus_baselines'] = {
      name: {k: metrics.fold_summary(
          [m[k] - m['baselines'][name][k] for m in fold_metrics],
          bounds=(-1.0, 1.0)) for k in _with_ranking(
              evaluate_lib.BALANCED, fold_metrics,
              [m['baselines'][name] for m in fold_metrics])}
      for name in sorted(names)}
  if against is not None:
    out['difference'] = paired_differences(fold_metrics, against)
  return out


def _check_held_out(fold_metrics, which):
  """Raises ValueError for a fold scored by a model that was fitted or
  chosen on some of its tapes or groups (another fold's model), naming it
  as `which` and its index."""
  for i, m in enumerate(fold_metrics):
    heard = m.get('heard_in_training')  # Since 2026-11-29.
    if provenance.heard_any(heard):
      groups = (f", {heard['groups'][0]} of its {heard['groups'][1]} groups"
                if heard['groups'] else '')
      raise ValueError(
          f'{which} {i} is not held out: its model was fitted or chosen on '
          f"{heard['tapes'][0]} of its {heard['tapes'][1]} tapes{groups}; "
          "score each fold with the model trained on that fold's records")


def paired_differences(fold_metrics, other_metrics):
  """{score: summary of the per-fold differences, fold_metrics minus
  other_metrics} for the headline scores: two models compared fold by fold,
  so the folds' own difficulty cancels.

  Folds that name their records (`split_tapes`) are paired by it, in
  whatever order the two lists came (two globs of differently named runs
  may sort the folds differently); others in order.

  Raises:
    ValueError: unless the two lists are the same test splits.
  """
  if len(fold_metrics) != len(other_metrics):
    raise ValueError(f'{len(fold_metrics)} folds against '
                     f'{len(other_metrics)}')
  keys = [m.get('split_tapes') for m in fold_metrics]
  others = [m.get('split_tapes') for m in other_metrics]
  if all(keys) and all(others):
    for i, key in enumerate(keys):
      if key not in others:
        raise ValueError(f'fold {i} (split_tapes {key}) is none of the '
                         'other folds: not the same K folds')
    other_metrics = [other_metrics[others.index(k)] for k in keys]
  split = lambda m: (m['eras'], m['windows'], m['tapes'])
  for i, (a, b) in enumerate(zip(fold_metrics, other_metrics)):
    if split(a) != split(b):
      raise ValueError(f'fold {i} is not the same test split in both '
                       f'(eras, windows, tapes: {split(a)} and {split(b)})')
  return {k: metrics.fold_summary([a[k] - b[k] for a, b in
                                   zip(fold_metrics, other_metrics)],
                                  bounds=(-1.0, 1.0))
          for k in _with_ranking(evaluate_lib.HEADLINE, fold_metrics,
                                 other_metrics)}


def format_summary(summary):
  """'0.650 [0.596, 0.705]': a `metrics.fold_summary` (no interval for one
  fold)."""
  ci = summary['ci']
  interval = f' [{ci[0]:.3f}, {ci[1]:.3f}]' if ci else ''
  return f"{summary['mean']:.3f}{interval}"


def format_folds(report):
  """The aggregate as lines for people."""
  level = int(metrics.CONFIDENCE * 100)
  lines = [f"{report['folds']} folds, {report['windows']} windows of "
           f"{report['tapes']} tapes; mean over folds [{level}% t-interval]"]

  def row(label, summary):
    return f"{label:36s} {format_summary(summary)}  (sd {summary['std']:.3f})"

  for key, summary in report['model'].items():
    lines.append(row(_label(key), summary))
  for name, scores in report['baselines'].items():
    for key in ('window_balanced_accuracy', 'tape_balanced_accuracy'):
      lines.append(row(f'{name}: {key.replace("_", " ")}', scores[key]))
  for name, scores in report.get('minus_baselines', {}).items():
    lines.append(f'model minus {name}, paired by fold:')
    for key, summary in scores.items():
      lines.append(row(f'  {_label(key)}', summary))
  if 'difference' in report:
    lines.append('minus --against, paired by fold:')
    for key, summary in report['difference'].items():
      lines.append(row(f'  {_label(key)}', summary))
  return lines


def _label(key):
  """'window balanced accuracy', 'tape ROC AUC': a score's key for people."""
  return key.replace('_', ' ').replace('roc auc', 'ROC AUC')
