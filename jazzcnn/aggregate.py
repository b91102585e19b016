"""Aggregates the test metrics of K folds into one report.

  for i in 0 1 2 3 4; do
    python -m beam_pipelines.build_records ... --folds=5 --fold=$i \
        --output_dir=records_$i/
    python -m jazzcnn.train ... --data_dir=records_$i/ --model_dir=runs/fold$i
    python -m jazzcnn.evaluate --model_dir=runs/fold$i --data_dir=records_$i/
  done
  python -m jazzcnn.aggregate 'runs/fold*/evaluation/test/metrics.json' \
      --output=runs/folds.json

Prints the mean of every balanced score over the folds with a t-interval,
for the model and each baseline, and writes them as JSON.
"""

import json
import sys

from absl import app
from absl import flags
import tensorflow as tf

from jazzcnn import cli
from jazzcnn import evaluate_lib

_OUTPUT = flags.DEFINE_string('output', '', 'Where the JSON report goes; '
                              'empty: only print.')


def main(argv):
  if len(argv) < 2:
    raise app.UsageError('name the metrics.json of each fold (files or globs)')
  paths = []
  for pattern in argv[1:]:
    matches = sorted(tf.io.gfile.glob(pattern))
    if not matches:
      raise app.UsageError(f'{pattern} matched no files')
    paths += matches
  fold_metrics = []
  for path in paths:
    try:
      with tf.io.gfile.GFile(path) as f:
        fold_metrics.append(json.load(f))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
      raise app.UsageError(f'{path} is not a metrics.json: {e}')
  try:
    report = evaluate_lib.aggregate_folds(fold_metrics)
  except (ValueError, KeyError) as e:
    raise app.UsageError(f'cannot aggregate {paths}: {e}')
  report['paths'] = paths
  print('\n'.join(evaluate_lib.format_folds(report)))
  if _OUTPUT.value:
    with tf.io.gfile.GFile(_OUTPUT.value, 'w') as f:
      json.dump(report, f, indent=1, allow_nan=False)
    print(f'wrote {_OUTPUT.value}', file=sys.stderr)


if __name__ == '__main__':
  cli.run(main)
