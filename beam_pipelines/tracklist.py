r"""Prints how a track list is labelled (and split), as JSON.

  python -m beam_pipelines.tracklist [--tracklist=...]
  python -m beam_pipelines.tracklist --split_by=artist_era [--folds=5]
  python -m beam_pipelines.tracklist --folds=5 --fold=0  # By artist_era.
  python -m beam_pipelines.tracklist --input=tapes/ \
      --tracklist=tapes/tracklist.csv --split_by=artist_era

With --split_by: the tapes and groups of each era in each split, as the
builder would split them, so a user sees before a long build whether every
era has test tapes (a warning on stderr when one has none). With --input:
only the tapes in that folder (one file a tape, as the builder picks), so
folds are dealt as the builder will deal them, and those the track list
lacks are counted as 'unlisted' and named.
"""

import json
import sys

from absl import app
from absl import flags

from beam_pipelines import build_records_lib
from beam_pipelines import fileio
from beam_pipelines import tape_files
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
    'Also show the splits the builder would make with this grouping; '
    f'--folds, --fold or --split_fractions alone split by the builder\'s '
    f'default, {naming.DEFAULT_SPLIT_BY}.')
_SPLIT_FRACTIONS = flags.DEFINE_list(
    'split_fractions', ['0.8', '0.1', '0.1'],
    'Fractions of groups in train, validation, test.')
_FOLDS = flags.DEFINE_integer('folds', 0, 'K >= 3: group-stratified folds.')
_FOLD = flags.DEFINE_integer('fold', 0, 'With --folds: the test fold.')
_INPUT = flags.DEFINE_string(
    'input', None, 'A folder or glob of tapes, as the builder\'s --input: '
    'count and split only the tapes there.')


def _titles(input_pattern):
  """The tape ids the builder would read from --input (decoded formats)."""
  try:
    _, chosen, _ = tape_files.input_files(input_pattern)
  except ValueError as e:
    raise app.UsageError(str(e))
  return sorted(naming.tape_id(p) for p in chosen)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    eras = naming.parse_eras(_ERAS.value)
    tracklist = naming.read_tracklist(_TRACKLIST.value,
                                      read_text=fileio.read_text)
  except (ValueError, OSError) as e:
    raise app.UsageError(str(e))
  titles = _titles(_INPUT.value) if _INPUT.value else None
  summary = tracklist_lib.summarize(tracklist, eras, titles)
  if titles is not None and (missing := [t for t in titles
                                         if t not in tracklist]):
    print(f'warning: {len(missing)} of the {len(titles)} tapes are not in '
          f'{_TRACKLIST.value}: {", ".join(missing[:5])}'
          f'{", ..." if len(missing) > 5 else ""} (a title is a file\'s name '
          'without its extension)', file=sys.stderr)
  split_by = _SPLIT_BY.value
  if not split_by and any(flags.FLAGS[name].present
                          for name in ('folds', 'fold', 'split_fractions')):
    split_by = naming.DEFAULT_SPLIT_BY  # Asked for splits: the builder's.
  if not split_by:
    print(json.dumps(summary))
    return
  try:
    fractions = tuple(float(x) for x in _SPLIT_FRACTIONS.value)
    build_records_lib.check_splitting(fractions, split_by, _FOLDS.value,
                                      _FOLD.value)  # As the builder checks.
    splits, warnings = tracklist_lib.split_summary(
        tracklist, eras, split_by=split_by, fractions=fractions,
        folds=_FOLDS.value, fold=_FOLD.value, titles=titles)
  except ValueError as e:
    raise app.UsageError(str(e))
  print(json.dumps({'labels': summary, 'split_by': split_by,
                    'splits': splits}, indent=1))
  for warning in warnings:
    print(f'warning: {warning}', file=sys.stderr)


if __name__ == '__main__':
  cli.run(main)
