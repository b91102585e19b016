r"""How far fixed features go: scikit-learn heads on them, over K folds.

  python -m jazzcnn.probe records_f0/ records_f1/ records_f2/ \
      --features=mel_stats,musicnn_stats --heads=logistic,svm,mlp

For each pair of features (`baselines.BASELINES`) and head
(`baselines.HEADS`), on each records directory: the head is fitted on the
train split with its regularisation chosen on the validation split, then
scored on the test split. Prints a Markdown table of test window and tape
balanced accuracy and ROC AUC, the mean over the directories (folds) with
a 95 % t-interval, or one directory's score with its bootstrap interval.
Features are computed once per window, whichever directories hold it (the
folds of a corpus hold the same windows, split differently), and cached
beside each directory's records, as `evaluate`'s baselines are (musicnn's
are the slow ones: over an hour for 5 x 1,129 windows on 2 shared cores
before they were computed once per window, BENCHMARKS.md).
BENCHMARKS.md's probe table was made with it.

A learning curve: `--train_fractions=0.25,0.5,1` also fits each head on
that fraction of each era's training groups (`baselines.group_subset`; the
groups are the pieces or artists the split keeps together), `--draws`
times over; a fold's score at a fraction is the mean over its draws.
Whether more distinct training pieces would help shows in how the score
still grows as the fraction reaches the whole train split.
"""

import sys

from absl import app
from absl import flags

from jazzcnn import baselines
from jazzcnn import cli
from jazzcnn import evaluate_lib
from jazzcnn import evaluate_report
from jazzcnn import fold_report
from jazzcnn import metrics
from jazzcnn import outputs

_FEATURES = flags.DEFINE_list('features', list(baselines.BASELINES),
                              'Which fixed features, of '
                              f'{", ".join(baselines.BASELINES)}.')
_HEADS = flags.DEFINE_list('heads', list(baselines.HEADS),
                           f'Which heads, of {", ".join(baselines.HEADS)}.')
_FRACTIONS = flags.DEFINE_list(
    'train_fractions', ['1'],
    "Fractions of each era's training groups to fit on, each in (0, 1]: "
    'a learning curve.')
_DRAWS = flags.DEFINE_integer(
    'draws', 5, 'Random draws of the training groups at each fraction '
    'below 1; a fold scores their mean.', lower_bound=1)
_OUTPUT = flags.DEFINE_string('output', '', 'Where the JSON report goes; '
                              'empty: only print.')


def _summary(folds, key):
  """Text of one score over the folds' scores: the mean and t-interval of
  several, or one fold's score with its bootstrap interval (a mean over
  draws has none); '-' where a fold has no such score (an AUC of one
  era)."""
  if any(m[key] is None for m in folds):
    return '-'
  if len(folds) == 1 and f'{key}_ci' in folds[0]:
    return evaluate_report.format_score(folds[0], key)
  return fold_report.format_summary(
      metrics.fold_summary([m[key] for m in folds]))


def _mean(values):
  """The mean of the draws' scores; None where one has none."""
  return None if None in values else sum(values) / len(values)


def _fold_scores(data_dir, info, features, head, fraction, memos):
  """One fold's test scores: the headline on the whole train split, or the
  mean over --draws draws of `fraction` of it, with each draw's scores;
  each with the regularisation validation chose."""
  if fraction == 1:
    probs, labels, tapes, chosen = baselines.probabilities(
        data_dir, info, 'test', features, head=head, memos=memos)
    return {**evaluate_lib.headline(
        evaluate_lib.split_metrics(probs, labels, tapes, info)),
            'regularisation': chosen}
  draws = []
  for seed in range(_DRAWS.value):
    probs, labels, tapes, chosen = baselines.probabilities(
        data_dir, info, 'test', features, head=head, train_fraction=fraction,
        seed=seed, memos=memos)
    scores = evaluate_lib.split_metrics(probs, labels, tapes, info)
    draws.append({**{key: scores[key] for key in evaluate_lib.TABLE_SCORES},
                  'regularisation': chosen})
  return {**{key: _mean([d[key] for d in draws])
             for key in evaluate_lib.TABLE_SCORES}, 'draws': draws}


def _fractions():
  """The --train_fractions as floats, or UsageError."""
  try:
    fractions = [float(f) for f in _FRACTIONS.value]
  except ValueError:
    fractions = []
  if not fractions or not all(0 < f <= 1 for f in fractions):
    raise app.UsageError('--train_fractions must be numbers in (0, 1], got '
                         f'{",".join(_FRACTIONS.value) or "none"}')
  return fractions


def _check(argv):
  """(data dirs, their dataset_info dicts, training fractions), or
  UsageError; nothing is computed or written before every argument is
  checked."""
  unknown = ([f for f in _FEATURES.value if f not in baselines.BASELINES] +
             [h for h in _HEADS.value if h not in baselines.HEADS])
  if unknown:
    raise app.UsageError(f'unknown features or heads: {", ".join(unknown)}')
  fractions = _fractions()
  if len(argv) < 2:
    raise app.UsageError('name at least one records directory')
  infos = []
  for data_dir in argv[1:]:
    try:
      infos.append(baselines.read_scored_records(data_dir))
    except ValueError as e:
      raise app.UsageError(str(e))
  if any(info['eras'] != infos[0]['eras'] for info in infos):
    raise app.UsageError('the directories have different eras')
  if _OUTPUT.value:  # Before minutes of work, not after.
    cli.output_file(_OUTPUT.value, '--output')
  return argv[1:], infos, fractions


def main(argv):
  data_dirs, infos, fractions = _check(argv)
  print('| features | head | training groups | test window balanced acc. | '
        'test tape balanced acc. | test window ROC AUC | test tape ROC AUC |')
  print('|' + ' --- |' * 7, flush=True)
  report = {'data_dirs': data_dirs, 'probes': []}
  memos = {}  # Each window's features, computed once over the folds.
  runs = [(f, h, p) for f in _FEATURES.value for h in _HEADS.value
          for p in fractions]
  for features, head, fraction in cli.progress(runs, desc='probes'):
    folds = [_fold_scores(data_dir, info, features, head, fraction, memos)
             for data_dir, info in zip(data_dirs, infos)]
    cells = [_summary(folds, key) for key in evaluate_lib.TABLE_SCORES]
    print(f'| `{features}` | {head} | {fraction:g} | ' + ' | '.join(cells)
          + ' |', flush=True)
    report['probes'].append({'features': features, 'head': head,
                             'train_fraction': fraction, 'folds': folds})
  if _OUTPUT.value:
    outputs.write_json(_OUTPUT.value, report)
    print(f'wrote {_OUTPUT.value}', file=sys.stderr)


if __name__ == '__main__':
  cli.run(main)
