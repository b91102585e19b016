r"""Aggregates the test metrics of K folds into one report.

  for i in 0 1 2 3 4; do
    python -m beam_pipelines.build_records ... --folds=5 --fold=$i \
        --output_dir=records_$i/
    python -m jazzcnn.train ... --data_dir=records_$i/ --model_dir=runs/fold$i
    python -m jazzcnn.evaluate --model_dir=runs/fold$i --data_dir=records_$i/
  done
  python -m jazzcnn.aggregate 'runs/fold*/evaluation/test/metrics.json' \
      --output=runs/folds.json

(`scripts/cross_validate.sh TAPES OUT K` runs all of it.)

Prints the mean of every score over the folds with a t-interval (the ROC
AUCs where every fold has them), for the model and each baseline, then the
model minus each baseline, paired by fold, and writes them as JSON. With
`--against='runs/other*/evaluation/test/metrics.json'` (another recipe on
the same folds, paired by the records each was scored on, or in sorted
order for metrics written before they named them), also each score's
difference, this model minus that one, fold by fold, with its t-interval.
A fold named twice is refused.
"""

import json
import sys

from absl import app
from absl import flags
import tensorflow as tf

from jazzcnn import cli
from jazzcnn import fold_report
from jazzcnn import outputs

_OUTPUT = flags.DEFINE_string('output', '', 'Where the JSON report goes; '
                              'empty: only print.')
_AGAINST = flags.DEFINE_string(
    'against', '', 'Glob of another model\'s metrics.json on the same folds: '
    'prints the paired differences too.')


def _read(patterns):
  """(paths, metrics dicts) of the files the globs match, each in order."""
  paths = []
  for pattern in patterns:
    matches = sorted(tf.io.gfile.glob(pattern))
    if not matches:
      raise app.UsageError(f'{pattern} matched no files')
    paths += matches
  fold_metrics = []
  for path in paths:
    if tf.io.gfile.isdir(path):
      raise app.UsageError(
          f'{path} is a directory, not a metrics.json (evaluate writes '
          'MODEL_DIR/evaluation/test/metrics.json)')
    try:
      with tf.io.gfile.GFile(path) as f:
        metrics = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
      raise app.UsageError(f'{path} is not a metrics.json: {e}')
    missing = fold_report.missing_keys(metrics)
    if missing:
      more = f' and {len(missing) - 3} more' if len(missing) > 3 else ''
      raise app.UsageError(f'{path} is not a metrics.json: it has no '
                           f'{", ".join(missing[:3])}{more}')
    fold_metrics.append(metrics)
  return paths, fold_metrics


def main(argv):
  if len(argv) < 2:
    raise app.UsageError('name the metrics.json of each fold (files or globs)')
  if _OUTPUT.value:
    cli.output_file(_OUTPUT.value, '--output')
  paths, fold_metrics = _read(argv[1:])
  against_paths, against = (_read([_AGAINST.value]) if _AGAINST.value
                            else ([], None))
  try:
    report = fold_report.aggregate_folds(fold_metrics, against)
  except (ValueError, KeyError) as e:
    raise app.UsageError(f'cannot aggregate {paths}: {e}')
  report['paths'] = paths
  if against_paths:
    report['against'] = against_paths
  print('\n'.join(fold_report.format_folds(report)))
  if _OUTPUT.value:
    outputs.write_json(_OUTPUT.value, report)
    print(f'wrote {_OUTPUT.value}', file=sys.stderr)


if __name__ == '__main__':
  cli.run(main)
