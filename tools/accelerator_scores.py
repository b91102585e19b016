r"""metrics.json of each recipe and fold that tools/accelerator_train.py ran.

  python tools/accelerator_scores.py --runs=runs.npz --corpus=.accel \
      --out=accel_runs check_records_0/ ... check_records_4/
  python -m jazzcnn.aggregate 'accel_runs/finetune/fold*/test/metrics.json' \
      --against='accel_runs/frozen/fold*/test/metrics.json'

The window probabilities come from the accelerator; every score (balanced
accuracy per window and per tape, intervals over the split's groups) is
computed here by `evaluate_lib.split_metrics`, as `jazzcnn.evaluate`
computes it, so the folds aggregate with `jazzcnn.aggregate` like any run.
Writes <out>/<recipe>/fold<k>/<split>/metrics.json and <out>/log.json
(the runs' validation curves, best epochs and times).
"""

import argparse
import json
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # pylint: disable=g-import-not-at-top

from jazzcnn import dataset_info  # pylint: disable=g-import-not-at-top
from jazzcnn import evaluate_lib  # pylint: disable=g-import-not-at-top
from jazzcnn import outputs  # pylint: disable=g-import-not-at-top

SPLITS = dataset_info.SPLITS


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('data_dirs', nargs='+',
                      help="the folds' records, as given to "
                      'accelerator_corpus.py')
  parser.add_argument('--runs', required=True,
                      help="accelerator_train.py's --out")
  parser.add_argument('--corpus', required=True)
  parser.add_argument('--out', required=True)
  args = parser.parse_args()
  corpus = np.load(os.path.join(args.corpus, 'corpus.npz'))
  runs = np.load(args.runs)
  infos = [dataset_info.read(d) for d in args.data_dirs]
  if list(corpus['eras']) != infos[0]['eras']:
    sys.exit(f'{args.corpus} holds other eras than {args.data_dirs[0]}')
  written = 0
  for key in runs.files:
    if key == 'log':
      continue
    recipe, fold, split = key.split('/')
    chosen = corpus['split'][int(fold)] == SPLITS.index(split)
    metrics = evaluate_lib.split_metrics(
        runs[key], corpus['label'][chosen], corpus['tape_id'][chosen],
        infos[int(fold)])
    path = os.path.join(args.out, recipe, f'fold{fold}', split)
    os.makedirs(path, exist_ok=True)
    outputs.write_json(os.path.join(path, 'metrics.json'), metrics)
    written += 1
  outputs.write_json(os.path.join(args.out, 'log.json'),
                     json.loads(str(runs['log'])))
  print(f'{written} metrics.json under {args.out}')


if __name__ == '__main__':
  main()
