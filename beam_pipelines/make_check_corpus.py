r"""Builds a real-music check corpus from the game music Debian ships.

  python -m beam_pipelines.make_check_corpus --output=check_tapes/
  python -m beam_pipelines.build_records --runner=DirectRunner \
      --input=check_tapes/ --output_dir=check_records/ \
      --flagfile=flags/build_check.cfg

  python -m beam_pipelines.make_check_corpus \
      --flagfile=flags/check_composers.cfg
  python -m beam_pipelines.build_records --runner=DirectRunner \
      --input=check_composers/ --output_dir=check_composers_records/ \
      --flagfile=flags/build_check_composers.cfg

  python -m beam_pipelines.make_check_corpus --flagfile=flags/check_trio.cfg

Needs `apt-get` (Debian or Ubuntu; `apt-get update` once) and `dpkg-deb`;
nothing is installed, the packages are only downloaded into --cache_dir.
"""

import json
import sys

from absl import app
from absl import flags
import tqdm

from beam_pipelines import check_corpus_lib
from jazzcnn import cli

_CORPUS = flags.DEFINE_enum(
    'corpus', 'soundtracks', list(check_corpus_lib.CORPORA),
    'soundtracks: one class per game; composers: one class per composer; '
    'trio: three more games, whole tracks (check_corpus_lib).')
_OUTPUT = flags.DEFINE_string('output', 'check_tapes/',
                              'Directory for the tapes and tracklist.csv.')
_CACHE_DIR = flags.DEFINE_string(
    'cache_dir', 'check_tapes_cache/',
    'Where the downloaded .deb files and their extracted tracks are kept.')
_MIN_SECONDS = flags.DEFINE_float(
    'min_seconds', 45.0, 'Tracks shorter than this (jingles) are left out.',
    lower_bound=0)
_MAX_SECONDS = flags.DEFINE_float(
    'max_seconds', 90.0,
    'Seconds of each track kept as its tape; 0 keeps whole tracks.',
    lower_bound=0)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  cli.makedirs(_OUTPUT.value, '--output')
  cli.makedirs(_CACHE_DIR.value, '--cache_dir')
  sources = check_corpus_lib.CORPORA[_CORPUS.value]
  with tqdm.tqdm(desc='tapes', unit=' tape', file=sys.stderr) as bar:
    try:
      summary = check_corpus_lib.make_check_corpus(
          _OUTPUT.value, cache_dir=_CACHE_DIR.value, sources=sources,
          min_seconds=_MIN_SECONDS.value, max_seconds=_MAX_SECONDS.value,
          progress=lambda _: bar.update())
    except check_corpus_lib.CorpusError as e:
      sys.exit(f'make_check_corpus: {e}')
  print(json.dumps({'output': _OUTPUT.value,
                    'eras': check_corpus_lib.eras(sources),
                    'classes': summary}, indent=1))


if __name__ == '__main__':
  cli.run(main)
