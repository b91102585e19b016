"""Writes a small synthetic corpus of labelled tapes and its track list.

  python -m beam_pipelines.make_demo_tapes --output=demo_tapes/
"""

import json

from absl import app
from absl import flags
import tqdm

from beam_pipelines import demo_tapes_lib
from jazzcnn import cli

_OUTPUT = flags.DEFINE_string('output', 'demo_tapes/',
                              'Directory for the tapes and tracklist.csv.')
_TAPES_PER_ERA = flags.DEFINE_integer(
    'tapes_per_era', 4, 'Labelled tapes per era (at least 3: one per split).')
_TAPE_SECONDS = flags.DEFINE_float(
    'tape_seconds', 180.0, 'Length of each tape in seconds, commentary included.')
_COMMENTARY_SECONDS = flags.DEFINE_float(
    'commentary_seconds', 5.0,
    'Speech at each end of a tape; build with --trim_seconds equal to it.')
_EXTRAS = flags.DEFINE_bool(
    'extras', True, 'Also write tapes the builder must skip (unlisted, '
    'ambiguous, outside the eras, not audio).')
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  cli.makedirs(_OUTPUT.value, '--output')
  # A bar on a terminal only (disable=None): logs stay one line per stage.
  with tqdm.tqdm(total=4 * _TAPES_PER_ERA.value, unit='tape',
                 desc='make_demo_tapes', disable=None) as bar:
    try:
      expected = demo_tapes_lib.make_demo_tapes(
          _OUTPUT.value, tapes_per_era=_TAPES_PER_ERA.value,
          tape_seconds=_TAPE_SECONDS.value,
          commentary_seconds=_COMMENTARY_SECONDS.value, extras=_EXTRAS.value,
          seed=_SEED.value, progress=lambda _: bar.update())
    except ValueError as e:  # Checked before anything is written.
      raise app.UsageError(str(e))
  print(json.dumps({'output': _OUTPUT.value, 'tapes': expected}, indent=1))


if __name__ == '__main__':
  cli.run(main)
