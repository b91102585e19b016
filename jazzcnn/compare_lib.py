"""Which model dir holds each of `compare`'s runs, and what it was started
with: a rerun into the same --output continues its own runs and refuses
another comparison's."""

import json
import os
import posixpath
import shlex

import tensorflow as tf

from jazzcnn import dataset_info

RECORD_FILE = 'compare.json'  # In each run's model dir: `run_record`, seconds.


def model_dir_of(output, index, recipe):
  """The model dir of the `index`th recipe: OUTPUT/0_cpu for flags/cpu.cfg."""
  name = os.path.basename(shlex.split(recipe)[0])[:-4]
  return posixpath.join(output, f'{index}_{name}')


def run_record(recipe, seed, info):
  """What a run in --output was started with: its recipe, seed and records
  (`dataset_info.split_tapes`, whatever the path's spelling)."""
  return {'recipe': recipe, 'seed': seed,
          'split_tapes': dataset_info.split_tapes(info)}


def read_record(model_dir):
  """The run record in model_dir (`run_record` and its seconds, None while
  unfinished), or None where no run was started."""
  path = posixpath.join(model_dir, RECORD_FILE)
  if not tf.io.gfile.exists(path):
    return None
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def check_earlier_runs(output, recipes, seed, info):
  """Raises ValueError when a recipe's model dir holds a run started with
  another recipe, seed or records: it would be tabulated (if finished) or
  resumed (if not) as if it were this one."""
  for i, recipe in enumerate(recipes):
    model_dir = model_dir_of(output, i, recipe)
    earlier = read_record(model_dir) or {}
    ours = run_record(recipe, seed, info)
    for key, what in (('recipe', 'recipe'), ('seed', 'seed'),
                      ('split_tapes', "split of the records' tapes")):
      if key in earlier and earlier[key] != ours[key]:
        raise ValueError(
            f'{model_dir} holds a run of another {what} ({earlier[key]}; '
            f'here {ours[key]}): use a new --output, or delete that folder')
