"""`evaluate`'s report, as lines for people: the scores with their
intervals, the per-era table, each baseline beside the model, and why
scores are not held out. `evaluate_lib` computes what these print."""

from jazzcnn import provenance


# Below this many tapes (or groups) in an era, a 95 % interval held the
# truth 74-94 % of the time in simulation, and less near a perfect score
# (tools/bootstrap_coverage.py; BENCHMARKS.md).
FEW_UNITS = 10


def compare(model_metrics, baselines):
  """Lines per baseline: its balanced accuracies, and how far the model is
  from it, with the paired interval of the difference when the baseline has
  one (its 'difference_ci', from `evaluate_lib.difference_intervals`); then
  the same in ROC AUC, where both have one."""
  lines = []
  for name, b in baselines.items():
    lines.append(f'{name:13s} ' + _beside(model_metrics, b, 'balanced_accuracy',
                                          'balanced accuracy'))
    if all(m.get(f'{k}_roc_auc') is not None for m in (model_metrics, b)
           for k in ('window', 'tape')):
      lines.append(' ' * 14 + _beside(model_metrics, b, 'roc_auc', 'ROC AUC'))
  return lines


def _beside(model_metrics, baseline, score, label):
  """'window LABEL 0.646 [..], tape 0.750 [..]: the model is 0.054 above
  it in windows [-0.031, +0.140], level with it in tapes'."""
  versus = []
  for k in ('window', 'tape'):
    key = f'{k}_{score}'
    ci = baseline.get('difference_ci', {}).get(key)
    versus.append(f'{_versus(model_metrics[key] - baseline[key])} in {k}s'
                  + (f' [{ci[0]:+.3f}, {ci[1]:+.3f}]' if ci else ''))
  return (f'window {label} {format_score(baseline, f"window_{score}")}, '
          f'tape {format_score(baseline, f"tape_{score}")}: the model is '
          + ', '.join(versus))


def not_held_out(heard, split, split_by):
  """Why scores of `split` are not held out, from
  `provenance.heard_in_training`; None when they are, or it is unknown."""
  if not provenance.heard_any(heard):
    return None
  (tapes, of), groups = heard['tapes'], heard['groups']
  if tapes:
    return (f'it was fitted or chosen on {tapes} of the {of} {split} tapes '
            'scored here (its train or validation split held them): their '
            'scores are not held out')
  return (f'it heard none of the {of} {split} tapes scored here, but '
          f'{groups[0]} of their {groups[1]} groups (--split_by={split_by})'
          ' are groups it was fitted or chosen on: those tapes are not held '
          f'out by {split_by}')


def _versus(difference):
  """'0.054 above it', '0.120 below it' or 'level with it', to 3 places."""
  d = round(difference, 3)
  return ('level with it' if d == 0 else
          f'{abs(d):.3f} {"above" if d > 0 else "below"} it')


def format_score(metrics_dict, key):
  """'0.812 [0.702, 0.900]' for a score and its interval."""
  ci = metrics_dict.get(f'{key}_ci')
  if metrics_dict[key] is None:  # An AUC of a split with one era.
    return 'none (one era)'
  text = f'{metrics_dict[key]:.3f}'
  return text + (f' [{ci[0]:.3f}, {ci[1]:.3f}]' if ci else ' [no interval]')


def format_report(metrics):
  """The metrics as a plain-text table for people."""
  eras = metrics['eras']
  width = max(8, *(len(e) for e in eras)) + 2
  level = int(metrics['confidence'] * 100)
  units = f"{metrics['resampling_units']} {metrics['resampled']}"
  resampling = (f'{level}% intervals resample {units} within each era'
                if metrics.get('window_balanced_accuracy_ci') else
                f'no intervals: {units}, one an era, nothing to resample')
  fewest = metrics.get('fewest_units_an_era', FEW_UNITS)  # Older files.
  if metrics.get('window_balanced_accuracy_ci') and fewest < FEW_UNITS:
    resampling += (f'; with {fewest} in the smallest era they hold the '
                   'truth less often: BENCHMARKS.md, "How often a 95 % '
                   'interval holds the truth"')
  lines = [
      f"windows {metrics['windows']}  tapes {metrics['tapes']}  "
      f"({resampling})",
      f"balanced accuracy  window {format_score(metrics, 'window_balanced_accuracy')}"
      f"  tape {format_score(metrics, 'tape_balanced_accuracy')}",
      f"macro F1           window {format_score(metrics, 'window_macro_f1')}"
      f"  tape {format_score(metrics, 'tape_macro_f1')}",
      f"ROC AUC            window {format_score(metrics, 'window_roc_auc')}"
      f"  tape {format_score(metrics, 'tape_roc_auc')}"
      '  (macro, each era against the rest)',
      f"plain accuracy     window {format_score(metrics, 'window_accuracy')}"
      f"  tape {format_score(metrics, 'tape_accuracy')}", '',
      'era'.ljust(width) + 'precision  recall     f1  support  ROC AUC']
  for era in eras:
    m = metrics['per_era'][era]
    auc = '-' if m['roc_auc'] is None else f"{m['roc_auc']:.3f}"
    lines.append(f"{era.ljust(width)}{m['precision']:9.3f} {m['recall']:7.3f} "
                 f"{m['f1']:6.3f} {m['support']:8d} {auc:>8s}")
  lines += ['', 'confusion (rows: true, columns: predicted)',
            ''.ljust(width) + ''.join(e.rjust(width) for e in eras)]
  for era, row in zip(eras, metrics['confusion_matrix']):
    lines.append(era.ljust(width) + ''.join(str(v).rjust(width) for v in row))
  lines += ['', 'mean softmax confidence (rows: true era)',
            ''.ljust(width) + ''.join(e.rjust(width) for e in eras)]
  for era in eras:
    row = metrics['mean_confidence'][era]
    cells = (f'{row[e]:.3f}'.rjust(width) for e in eras) if row else [
        '-'.rjust(width)] * len(eras)
    lines.append(era.ljust(width) + ''.join(cells))
  return '\n'.join(lines)
