"""Prints how a track list is labelled (and split), as JSON.

  python -m beam_pipelines.tracklist [--tracklist=...]
  python -m beam_pipelines.tracklist --split_by=artist_era [--folds=5]

With --split_by: the tapes and groups of each era in each split, as the
builder would split them, so a user sees before a long build whether every
era has test tapes (a warning on stderr when one has none).
"""

import json
import sys

from absl import app
from absl import flags

from beam_pipelines import fileio
from beam_pipelines import tracklist_lib
from jazzcnn import cli
from jazzcnn import naming

_TRACKLIST = flags.DEFINE_string(
    'tracklist', tracklist_lib.DEFAULT_TRACKLIST,
    'CSV file (local or gs://) with a "title,year" header. Default: the Niven '
    'collection\'s track list shipped with the package.')
_ERAS = flags.DEFINE_string(
    'eras', naming.DEFAULT_ERAS,
    'Comma-separated name:first-last year ranges (inclusive), in label order.')
_SPLIT_BY = flags.DEFINE_enum(
    'split_by', None, list(naming.SPLIT_BY),
    'Also show the splits the builder would make with this grouping.')
_SPLIT_FRACTIONS = flags.DEFINE_list(
    'split_fractions', ['0.8', '0.1', '0.1'],
    'Fractions of groups in train, validation, test.')
_FOLDS = flags.DEFINE_integer('folds', 0, 'K >= 3: group-stratified folds.')
_FOLD = flags.DEFINE_integer('fold', 0, 'With --folds: the test fold.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    eras = naming.parse_eras(_ERAS.value)
    tracklist = naming.read_tracklist(_TRACKLIST.value,
                                             read_text=fileio.read_text)
  except (ValueError, OSError) as e:
    raise app.UsageError(str(e))
  summary = tracklist_lib.summarize(tracklist, eras)
  if not _SPLIT_BY.value:
    print(json.dumps(summary))
    return
  try:
    splits, warnings = tracklist_lib.split_summary(
        tracklist, eras, split_by=_SPLIT_BY.value,
        fractions=tuple(float(x) for x in _SPLIT_FRACTIONS.value),
        folds=_FOLDS.value, fold=_FOLD.value)
  except ValueError as e:
    raise app.UsageError(str(e))
  print(json.dumps({'labels': summary, 'split_by': _SPLIT_BY.value,
                    'splits': splits}, indent=1))
  for warning in warnings:
    print(f'warning: {warning}', file=sys.stderr)


if __name__ == '__main__':
  cli.run(main)
