"""Checks every shard of a records directory against its dataset_info.json.

  python -m jazzcnn.verify_records --data_dir=tfrecords/

Reads each shard on its own (CRC, framing, parse) and checks each record's
window length, label, era and tape against dataset_info.json, then the
windows per era of each split. Prints one line per problem and a summary;
exit status 1 when anything is wrong.
"""

import sys

from absl import app
from absl import flags
import tqdm

from jazzcnn import cli
from jazzcnn import dataset_info
from jazzcnn import records_check

_DATA_DIR = flags.DEFINE_string('data_dir', None, 'Records directory to check.')
flags.mark_flag_as_required('data_dir')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    info = dataset_info.read(_DATA_DIR.value)
  except ValueError as e:
    raise app.UsageError(str(e))
  shards = sum(len(s['files']) for s in info['splits'].values())
  with tqdm.tqdm(total=shards, unit='shard', desc='verify_records',
                 disable=None) as bar:
    report = records_check.check(_DATA_DIR.value, info,
                                 progress=lambda _: bar.update())
  bad = 0
  for split, entry in report.items():
    for problem in entry['problems']:
      print(f'{split}: {problem}')
    bad += len(entry['problems'])
    print(f"{split}: {entry['windows']} of {entry['listed']} windows read "
          f"{'intact' if not entry['problems'] else 'with problems'}")
  if bad:
    print(f'{_DATA_DIR.value}: {bad} problems', file=sys.stderr)
    sys.exit(1)


if __name__ == '__main__':
  cli.run(main)
