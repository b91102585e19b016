"""Finds the same recording in two splits of a records directory.

  python -m jazzcnn.duplicates --data_dir=tfrecords/

Fingerprints every window (audfprint's landmarks) and matches each
validation and test window against the splits before it. Prints one line
per held-out tape that holds audio of an earlier split's tape, then a line
per split; exit status 1 when any is found, since every held-out score of
those records is then too high. The builder splits by name, so this is how
a recording filed under two names is found. Matching is approximate: a
piece quoted or sampled in another can match too; the lines say how many
windows and landmarks.
"""

import sys

from absl import app
from absl import flags
import tqdm

from jazzcnn import cli
from jazzcnn import dataset_info
from jazzcnn import duplicates_lib

_DATA_DIR = flags.DEFINE_string('data_dir', None, 'Records directory to check.')
_MIN_HASHES = flags.DEFINE_integer(
    'min_hashes', duplicates_lib.MIN_HASHES,
    'Landmarks two windows share at one time shift for them to hold the '
    'same recording.', lower_bound=1)
flags.mark_flag_as_required('data_dir')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    info = dataset_info.read(_DATA_DIR.value)
  except ValueError as e:
    raise app.UsageError(str(e))
  splits = duplicates_lib.splits(info)
  if len(splits) < 2:
    raise app.UsageError(f'{_DATA_DIR.value} holds windows of one split '
                         'only: nothing held out to check')
  total = sum(dataset_info.windows(info, s) for s in splits)
  with tqdm.tqdm(total=total, unit='window', desc='duplicates',
                 disable=None) as bar:
    found = duplicates_lib.find(_DATA_DIR.value, info,
                                min_hashes=_MIN_HASHES.value,
                                progress=lambda _: bar.update())
  pairs = duplicates_lib.by_tape(found)
  for p in pairs:
    some = (f"{p['windows']} windows hold" if p['windows'] > 1 else
            '1 window holds')
    print(f"{p['split']} tape {p['tape']!r}: {some} audio of "
          f"{p['earlier_split']} tape {p['earlier_tape']!r} "
          f"(up to {p['hashes']} landmarks in common)")
  for split in splits[1:]:
    tapes = {p['tape'] for p in pairs if p['split'] == split}
    held = len(info['splits'][split]['tape_ids'])
    print(f'{split}: {len(tapes)} of {held} tapes hold audio of '
          f'{" or ".join(splits[:splits.index(split)])} tapes')
  if pairs:
    print(f'{_DATA_DIR.value}: the same audio in two splits; held-out scores '
          'of these records are too high', file=sys.stderr)
    sys.exit(1)


if __name__ == '__main__':
  cli.run(main)
