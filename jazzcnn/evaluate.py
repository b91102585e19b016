r"""Evaluates an exported model on one split, beside baselines.

  python -m jazzcnn.evaluate --model_dir=runs/NAME --data_dir=tfrecords/ \
      --split=test [--baselines=mel_stats,musicnn_msd,musicnn_stats]

Balanced accuracy, macro-F1 and ROC AUC of windows and tapes with 95%
intervals that resample tapes (or the records' groups), per-era scores, the
confusion matrices, and the same scores for each baseline fitted on the
train split.
Writes metrics.json and confusion.png into MODEL_DIR/evaluation/SPLIT/.
"""

import posixpath

from absl import app
from absl import flags
from absl import logging

from jazzcnn import baselines
from jazzcnn import cli
from jazzcnn import dataset_info
from jazzcnn import evaluate_lib
from jazzcnn import evaluate_report
from jazzcnn import export
from jazzcnn import outputs
from jazzcnn import plots
from jazzcnn import provenance

_MODEL_DIR = flags.DEFINE_string('model_dir', None,
                                 'Model dir written by jazzcnn.train.')
_DATA_DIR = flags.DEFINE_string('data_dir', 'tfrecords/',
                                'Output of build_records (local or gs://).')
_SPLIT = flags.DEFINE_enum('split', 'test', dataset_info.SPLITS,
                           'Split to evaluate.')
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 32, 'Windows per batch.',
                                   lower_bound=1)
_BASELINES = flags.DEFINE_list(
    'baselines', ['mel_stats', 'musicnn_msd', 'musicnn_stats'],
    'Baselines fitted on the train split (C chosen on validation) and '
    'scored beside the model: '
    'mel_stats (log-mel band statistics), musicnn_msd (pretrained musicnn '
    'features), musicnn_stats (their mean and spread over a window; one '
    'forward pass serves both); empty: none. Their features are cached '
    'beside the records.')
_OUTPUT_DIR = flags.DEFINE_string(
    'output_dir', '', 'Where metrics.json and confusion.png go; empty: '
    'MODEL_DIR/evaluation/SPLIT.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  if not _MODEL_DIR.value:
    raise app.UsageError('--model_dir is required')
  unknown = set(_BASELINES.value) - set(baselines.BASELINES)
  if unknown:
    raise app.UsageError(f'unknown --baselines {sorted(unknown)}; choose from '
                         f'{sorted(baselines.BASELINES)}')
  out = _OUTPUT_DIR.value or posixpath.join(_MODEL_DIR.value, 'evaluation',
                                            _SPLIT.value)
  cli.makedirs(out, '--output_dir')
  try:
    model, meta = export.load_exported(_MODEL_DIR.value)
    info = dataset_info.read(_DATA_DIR.value)
    dataset_info.split_files(_DATA_DIR.value, info, _SPLIT.value)
  except ValueError as e:
    raise app.UsageError(str(e))
  if _BASELINES.value:
    try:
      baselines.check_splits(_DATA_DIR.value, info)
    except ValueError as e:
      raise app.UsageError(f'{e} (--baselines= for none)')
  mismatch = provenance.model_mismatch(meta, info)
  if mismatch:
    raise app.UsageError(mismatch)
  heard = _heard_in_training(meta, info)
  predicted = evaluate_lib.predict_split(model, _DATA_DIR.value, info,
                                         _SPLIT.value,
                                         batch_size=_BATCH_SIZE.value)
  metrics = evaluate_lib.split_metrics(*predicted, info)
  metrics['split'] = _SPLIT.value
  metrics['split_tapes'] = dataset_info.split_tapes(info)  # Names the fold.
  metrics['heard_in_training'] = heard  # [tapes, of them] and [groups, of].
  metrics['baselines'] = _baselines(info, predicted)
  outputs.write_json(posixpath.join(out, 'metrics.json'), metrics)
  plots.confusion_png(metrics['confusion_matrix'], info['eras'],
                      posixpath.join(out, 'confusion.png'),
                      title=f'{_SPLIT.value} windows: balanced accuracy '
                      f"{metrics['window_balanced_accuracy']:.3f}")
  print(evaluate_report.format_report(metrics))
  if metrics['baselines']:
    print('\nbaselines (fitted on the train split, C chosen on validation; '
          '[a, b]: the paired interval of the model minus it):')
    print('\n'.join(evaluate_report.compare(metrics, metrics['baselines'])))
  print(f'\nwrote {out}/metrics.json and confusion.png')


def _heard_in_training(meta, info):
  """`provenance.heard_in_training` of --split, and a warning where the
  model was trained on other records and heard some of these."""
  heard = provenance.heard_in_training(meta, info, _SPLIT.value)
  if provenance.trained_elsewhere(meta, info):  # Another fold or corpus.
    why = (evaluate_report.not_held_out(heard, _SPLIT.value,
                                        info.get('split_by'))
           if heard is not None else
           'it was trained on other records (their splits hold other '
           'tapes): where the two share tapes, it is scored here on tapes it '
           'trained on')  # An export from before `fitted_on`.
    if why:
      logging.warning('%s on %s: %s', _MODEL_DIR.value, _DATA_DIR.value, why)
  return heard


def _baselines(info, predicted):
  """{name: scores, regularisation, and the paired intervals of the model
  (`predicted`) minus it} of each of --baselines on --split."""
  scored, chosen = {}, {}
  for name in _BASELINES.value:
    probs, labels, tapes, chosen[name] = baselines.probabilities(
        _DATA_DIR.value, info, _SPLIT.value, name,
        batch_size=_BATCH_SIZE.value)
    scored[name] = probs, labels, tapes
  # Resampling the same tapes for both.
  differences = evaluate_lib.difference_intervals(predicted, scored, info)
  out = {}
  for name, items in scored.items():
    out[name] = {
        **evaluate_lib.headline(evaluate_lib.split_metrics(*items, info)),
        'regularisation': chosen[name], 'difference_ci': differences[name]}
  return out


if __name__ == '__main__':
  cli.run(main)
