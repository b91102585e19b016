"""Downloads the Niven collection's tapes from archive.org.

  python -m beam_pipelines.scrape --collection=davidwnivenjazz --output=tapes/

Re-running fetches only what is missing or corrupt; partial files resume.
"""

import json
import logging as std_logging
import sys

from absl import app
from absl import flags

from beam_pipelines import scrape_lib
from jazzcnn import cli

_COLLECTION = flags.DEFINE_string('collection', 'davidwnivenjazz',
                                  'archive.org collection id.')
_OUTPUT = flags.DEFINE_string('output', 'tapes/', 'Directory for the audio.')
_BASE_URL = flags.DEFINE_string(
    'base_url', 'https://archive.org',
    'archive.org, or a mirror or test server with the same API.')
_PREFER = flags.DEFINE_enum(
    'prefer', 'original', sorted(scrape_lib.PREFERENCES),
    'original: FLAC/WAV originals first; mp3: the MP3 derivatives (about a '
    'fifth of the space).')
_WORKERS = flags.DEFINE_integer('workers', 4, 'Downloads at once.',
                                lower_bound=1)
_RETRIES = flags.DEFINE_integer('retries', 5, 'Tries per file.',
                                lower_bound=1)
_BACKOFF = flags.DEFINE_float(
    'backoff_seconds', 2.0, 'Wait before the first retry; doubles each time.',
    lower_bound=0)
_LIMIT = flags.DEFINE_integer('limit', 0, 'At most this many items; 0: all.',
                              lower_bound=0)
_TRACKLIST = flags.DEFINE_string(
    'tracklist', '', 'Write/update this "title,year" CSV from the item '
    'metadata; empty: OUTPUT/tracklist.csv.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  cli.makedirs(_OUTPUT.value, '--output')
  # internetarchive logs each failed request before raising it; the one
  # line below says what failed.
  std_logging.getLogger('internetarchive').setLevel(std_logging.CRITICAL)
  try:
    summary = scrape_lib.scrape(
        _COLLECTION.value, _OUTPUT.value, base_url=_BASE_URL.value,
        preference=_PREFER.value, workers=_WORKERS.value,
        retries=_RETRIES.value, backoff=_BACKOFF.value, limit=_LIMIT.value,
        tracklist=_TRACKLIST.value or f'{_OUTPUT.value.rstrip("/")}/'
        'tracklist.csv', show_progress=sys.stderr.isatty())
  except ValueError as e:
    raise app.UsageError(str(e))
  print(json.dumps(summary, indent=1))
  if summary['failed']:
    sys.exit(1)


if __name__ == '__main__':
  cli.run(main)
