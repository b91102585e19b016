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

A corpus of one's own, a class a package (or a pattern in one); its output
ends with the command that builds its records:

  python -m beam_pipelines.make_check_corpus --output=my_check/ \
      --source='widelands:widelands-data:usr/share/games/widelands/data/music/*.ogg' \
      --source='nexuiz:nexuiz-music:usr/share/games/nexuiz/data/music.pk3!sound/cdtracks/*.ogg'

(Quoted: a shell reads '*' as its own glob, and an interactive bash '!'.)

Needs `apt-get` (Debian or Ubuntu; `apt-get update` once) and `dpkg-deb`;
nothing is installed, the packages are only downloaded into --cache_dir.
"""

import functools
import json
import os
import shlex
import sys

from absl import app
from absl import flags
import tqdm

from beam_pipelines import check_corpora
from beam_pipelines import check_corpus_lib
from jazzcnn import cli

_CORPUS = flags.DEFINE_enum(
    'corpus', 'soundtracks', list(check_corpora.CORPORA),
    'soundtracks: one class per game; composers: one class per composer; '
    'trio: three more games, whole tracks (check_corpora).')
_SOURCE = flags.DEFINE_multi_string(
    'source', None,
    'A corpus of your own instead of --corpus: one class a flag, '
    'NAME:PACKAGE:PATTERN (the tracks of a Debian package matching an '
    'fnmatch pattern of their paths in it), or NAME:PACKAGE:ZIP!PATTERN for '
    'tracks in a zip inside the package. The classes are labelled as '
    'years 1931, 1932, ... in that order; the output names the --eras to '
    'build with.')
_EXCLUDE = flags.DEFINE_multi_string(
    'exclude', [],
    "With --source: an fnmatch pattern of tracks to leave out of every "
    "class, e.g. '*/soundfx/*'.")
_GROUP_VARIANTS = flags.DEFINE_bool(
    'group_variants', True,
    "With --source: names like 'celtic_fast' and 'forest2' are variants of "
    "one piece ('celtic', 'forest'), kept in one split; --nogroup_variants "
    "where every file is its own piece.")
_INDEPENDENT_CHECK = flags.DEFINE_bool(
    'independent_check', False,
    'With --source: allows the packages kept for the independent check of '
    'this project (wesnoth-music, hyperrogue-music, drascula-music), for '
    'whoever runs that check; no choice in this repo was made on them.')
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


def _sources():
  """The classes: --corpus's, or those of --source."""
  if not _SOURCE.value:
    for name in ('exclude', 'group_variants', 'independent_check'):
      if flags.FLAGS[name].present:  # Else ignored: no corpus needs them.
        raise app.UsageError(f'--{name} goes with --source')
    return check_corpora.CORPORA[_CORPUS.value]
  if flags.FLAGS['corpus'].present:
    raise app.UsageError('--corpus and --source: give one of the two')
  try:
    sources = [check_corpora.parse_source(
        text, check_corpora.FIRST_SOURCE_YEAR + i, _GROUP_VARIANTS.value,
        _EXCLUDE.value)
               for i, text in enumerate(_SOURCE.value)]
  except ValueError as e:
    raise app.UsageError(f'--source={e}')
  names = [s.name for s in sources]
  if len(set(names)) < len(names) or len(names) < 2:
    raise app.UsageError(f'--source: need two or more classes, each named '
                         f'once; got {", ".join(names)}')
  reserved = sorted({s.package for s in sources} &
                    set(check_corpora.RESERVED_PACKAGES))
  if reserved and not _INDEPENDENT_CHECK.value:
    raise app.UsageError(
        f'--source: {" and ".join(reserved)} '
        f'{"is" if len(reserved) == 1 else "are"} kept for the independent '
        'check of this project; add --independent_check if you are running '
        'it')
  return sources


def _advance(bar, unused_title, total):
  bar.total = total  # Known once every class's tracks are found.
  bar.update()


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  sources = _sources()
  cli.makedirs(_OUTPUT.value, '--output')
  cli.makedirs(_CACHE_DIR.value, '--cache_dir')
  with tqdm.tqdm(desc='tapes', unit=' tape', file=sys.stderr) as bar:
    try:
      summary = check_corpus_lib.make_check_corpus(
          _OUTPUT.value, cache_dir=_CACHE_DIR.value, sources=sources,
          min_seconds=_MIN_SECONDS.value, max_seconds=_MAX_SECONDS.value,
          progress=functools.partial(_advance, bar),
          independent_check=_INDEPENDENT_CHECK.value)
    except check_corpus_lib.CorpusError as e:
      sys.exit(f'make_check_corpus: {e}')
  eras = check_corpora.eras(sources)
  build = shlex.join([
      'python', '-m', 'beam_pipelines.build_records', '--runner=DirectRunner',
      f'--input={_OUTPUT.value}',
      f'--tracklist={os.path.join(_OUTPUT.value, "tracklist.csv")}',
      '--trim_seconds=0', f'--eras={eras}',
      f'--output_dir={_OUTPUT.value.rstrip("/")}_records/',
      '--folds=5', '--fold=0'])  # Fold 0 of 5: as the README's corpora.
  print(json.dumps({'output': _OUTPUT.value, 'eras': eras, 'classes': summary,
                    'build': build}, indent=1))


if __name__ == '__main__':
  cli.run(main)
