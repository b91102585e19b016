r"""Trains recipes on one records directory and tabulates what they reach.

  python -m jazzcnn.compare --data_dir=check_records/ --output=runs/compare/ \
      flags/cpu.cfg flags/cpu_shortres.cfg 'flags/seed.cfg --width=0.25'

Each argument is a flagfile, optionally followed by flags that override it.
One `python -m jazzcnn.train` per recipe, one after another (so the wall
times compare), then a Markdown table: parameters, forward GFLOP per 15 s
window, training wall time, the best validation window balanced accuracy
(the score each run kept its checkpoint by), and the test balanced accuracy
and ROC AUC of windows and tapes with their 95% intervals; then the
baselines on the same split, and which recipe validation selects: the one
a user would keep without looking at the test split. Last, the selected
recipe's test scores minus each baseline's (balanced accuracy, then ROC
AUC), with a paired interval of the difference: whether it beats the
baseline by more than the split's noise. This is how BENCHMARKS.md's
accuracy tables were made.
"""

import json
import os
import posixpath
import shlex
import subprocess
import sys
import time

from absl import app
from absl import flags
import tensorflow as tf

from jazzcnn import baselines
from jazzcnn import checkpoints
from jazzcnn import cli
from jazzcnn import compare_lib
from jazzcnn import evaluate_lib
from jazzcnn import evaluate_report
from jazzcnn import export
from jazzcnn import models
from jazzcnn import outputs


def score(metrics, key):
  """'0.812 [0.70, 0.90]': a table cell; '-' where a run's results predate
  the score, or a split of one era has no ROC AUC."""
  if metrics.get(key) is None:
    return '-'
  ci = metrics.get(f'{key}_ci')
  return f'{metrics[key]:.3f}' + (f' [{ci[0]:.2f}, {ci[1]:.2f}]' if ci else '')


_DATA_DIR = flags.DEFINE_string('data_dir', None, 'Records to train and test on.')
_OUTPUT = flags.DEFINE_string(
    'output', None, 'A model dir per recipe goes here (local or gs://).')
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed of every run.')


def train(recipe, model_dir, info):
  """Trains one recipe into model_dir; returns its wall seconds, or None.

  A finished run (its record in model_dir, with its seconds) is not trained
  again: its recorded time is reused, and an unfinished one is resumed, so
  an interrupted comparison can be continued
  (`compare_lib.check_earlier_runs` first).
  """
  earlier = compare_lib.read_record(model_dir)
  if earlier and earlier['seconds'] is not None:
    return earlier['seconds']
  record = posixpath.join(model_dir, compare_lib.RECORD_FILE)
  started = compare_lib.run_record(recipe, _SEED.value, info)
  tf.io.gfile.makedirs(model_dir)
  outputs.write_json(record, dict(started, seconds=None))
  flagfile, *extra = shlex.split(recipe)
  command = [sys.executable, '-m', 'jazzcnn.train', f'--flagfile={flagfile}',
             *extra, f'--data_dir={_DATA_DIR.value}',
             f'--model_dir={model_dir}', f'--seed={_SEED.value}']
  start = time.time()
  done = subprocess.run(command, capture_output=True, text=True)
  seconds = time.time() - start
  if done.returncode:
    print(f'{recipe}: failed\n{done.stderr[-2000:]}', file=sys.stderr)
    return None
  outputs.write_json(record, dict(started, seconds=seconds))
  return seconds


def _check(recipes):
  """The records' dataset_info, once every recipe's flagfile is there, the
  records have the splits that training and the baselines read, and
  --output holds no other comparison's runs: a mistake is one line before
  minutes of training, not after."""
  for recipe in recipes:
    try:
      flagfile = shlex.split(recipe)[0] if recipe.strip() else ''
    except ValueError as e:
      raise app.UsageError(f'recipe {recipe!r}: {e}')
    if not flagfile or not os.path.isfile(flagfile):
      raise app.UsageError(f'recipe {recipe!r}: flagfile {flagfile!r} not '
                           'found (a recipe is a flagfile, then flags)')
  try:
    checkpoints.check_directory(_OUTPUT.value)  # Each run's parent.
    info = baselines.read_scored_records(_DATA_DIR.value)
    compare_lib.check_earlier_runs(_OUTPUT.value, recipes, _SEED.value, info)
  except ValueError as e:
    raise app.UsageError(str(e))
  return info


def main(argv):
  if not _DATA_DIR.value or not _OUTPUT.value:
    raise app.UsageError('--data_dir and --output are required')
  if len(argv) < 2:
    raise app.UsageError('name at least one recipe (a flagfile and flags)')
  info = _check(argv[1:])
  print('| recipe | parameters | GFLOP/window | training | best epoch | '
        'validation window balanced acc. | test window balanced acc. | '
        'test tape balanced acc. | test window ROC AUC | test tape ROC AUC |')
  print('|' + ' --- |' * 10, flush=True)
  recipes = argv[1:]
  bests = [None] * len(recipes)
  for i, recipe in enumerate(recipes):
    model_dir = compare_lib.model_dir_of(_OUTPUT.value, i, recipe)
    seconds = train(recipe, model_dir, info)
    if seconds is None:
      continue
    with tf.io.gfile.GFile(posixpath.join(model_dir, 'results.json')) as f:
      results = json.load(f)
    best = bests[i] = results['best']
    model, _ = export.load_exported(model_dir)
    test = results['test']
    print(f'| `{recipe}` | {model.count_params():,} | '
          f'{models.forward_flops(model) / 1e9:.2f} | {seconds / 60:.1f} min '
          f'| {best["epoch"]} | {best["val_balanced_accuracy"]:.3f} | '
          + ' | '.join(score(test, key) for key in evaluate_lib.TABLE_SCORES)
          + ' |', flush=True)
  scored = {}  # Each baseline's test (probs, labels, tape_ids), scores.
  for name in baselines.BASELINES:
    probs, labels, tapes, _ = baselines.probabilities(
        _DATA_DIR.value, info, 'test', name)
    m = evaluate_lib.split_metrics(probs, labels, tapes, info)
    scored[name] = (probs, labels, tapes), m
    print(f'| baseline `{name}` (logistic regression) | | | | | | '
          + ' | '.join(score(m, key) for key in evaluate_lib.TABLE_SCORES)
          + ' |')
  ran = [i for i, best in enumerate(bests) if best]
  if not ran:
    print('compare: every recipe failed', file=sys.stderr)
    return 1
  # The best on validation, the first of ties: what a user would keep.
  chosen = max(ran, key=lambda i: (checkpoints.validation_key(bests[i]), -i))
  print(f'\nSelected on validation: `{recipes[chosen]}`')
  model_dir = compare_lib.model_dir_of(_OUTPUT.value, chosen, recipes[chosen])
  print('\n'.join(_versus_baselines(model_dir, info, scored)))


def _versus_baselines(model_dir, info, scored):
  """Lines: each baseline beside the exported model on the test split, with
  the paired interval of the model minus it (`evaluate_lib.
  difference_intervals`: the same groups of tapes resampled for both),
  which the two intervals in the table cannot give."""
  model, _ = export.load_exported(model_dir)
  predicted = evaluate_lib.predict_split(model, _DATA_DIR.value, info, 'test')
  differences = evaluate_lib.difference_intervals(
      predicted, {name: items for name, (items, _) in scored.items()}, info)
  versus = {name: dict(theirs, difference_ci=differences[name])
            for name, (_, theirs) in scored.items()}
  return ['Beside each baseline on the test split ([a, b]: the paired 95% '
          'interval of the model minus it):', *evaluate_report.compare(
              evaluate_lib.split_metrics(*predicted, info), versus)]


if __name__ == '__main__':
  cli.run(main)
