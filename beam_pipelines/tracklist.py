"""Prints how a track list is labelled, as one JSON object."""

import json

from absl import app
from absl import flags

from beam_pipelines import fileio
from beam_pipelines import tracklist_lib

_TRACKLIST = flags.DEFINE_string(
    'tracklist', tracklist_lib.DEFAULT_TRACKLIST,
    'CSV file (local or gs://) with a "title,year" header. Default: the Niven '
    'collection\'s track list shipped with the package.')
_ERAS = flags.DEFINE_string(
    'eras', tracklist_lib.DEFAULT_ERAS,
    'Comma-separated name:first-last year ranges (inclusive), in label order.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    eras = tracklist_lib.parse_eras(_ERAS.value)
    tracklist = tracklist_lib.read_tracklist(_TRACKLIST.value,
                                             read_text=fileio.read_text)
  except (ValueError, OSError) as e:
    raise app.UsageError(str(e))
  print(json.dumps(tracklist_lib.summarize(tracklist, eras)))


if __name__ == '__main__':
  app.run(main)
