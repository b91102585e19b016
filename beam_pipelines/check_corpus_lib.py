"""Real-music check corpora from game music that Debian ships.

The model must hear style in recorded music, not only in the synthetic demo.
Three corpora, each class standing in for an "era", each track one tape:

- `soundtracks`: four games' soundtracks, one class per game. Some games
  have many composers (supertux's chiptune, orchestral and rock pieces are
  one class), which makes it the harder of the two.
- `composers`: four composers, one class each, every track credited to its
  composer by the package itself (warzone2100's `album.json`, the
  singularity-music and ufoai-music copyright files). Two of the classes
  come from one game (ufoai), so the game's sound alone does not separate
  them.
- `trio`: three more games' soundtracks, whole tracks, unbalanced (18, 26
  and 12 tracks): the shape of the independent check below. It was built
  after every recipe choice, to score the chosen recipe on music that
  choosing never saw.

The packages come from Debian's archive (`apt-get download`, no install, no
root), so anyone can rebuild the same corpora. The wesnoth, hyperrogue and
drascula music packages are left out on purpose: they are kept for an
independent check.

Variants of one piece (`celtic` and `celtic_fast`, `forest2` and `forest3`,
`voc-daytime` and `voc-daytime2`) share an "artist" in the tape name, so a
split by artist keeps them together and a model cannot pass the test by
recognising a track it trained on.
"""

import dataclasses
import fnmatch
import functools
import glob
import io
import os
import re
import subprocess
import tarfile
import zipfile

import soundfile

from jazzcnn import naming


@dataclasses.dataclass(frozen=True)
class Source:
  name: str  # Class name, used as the "era" of its tapes.
  package: str  # Debian package holding the music.
  pattern: str  # fnmatch pattern of the tracks (in the package or archive).
  year: int  # The year written into every tape title of this class.
  archive: str = ''  # A zip (.pk3) in the package that holds the tracks.
  exclude: tuple = ()  # fnmatch patterns of matching tracks to leave out.
  # Whether names like 'celtic_fast' and 'forest2' are variants of one piece
  # (see `artist`); False where every file is its own piece ('track4').
  group_variants: bool = True


SOURCES = (
    Source('widelands', 'widelands-data',
           'usr/share/games/widelands/data/music/*.ogg', 1901),
    Source('supertuxkart', 'supertuxkart-data',
           'usr/share/games/supertuxkart/data/music/*.ogg', 1902),
    Source('freedroidrpg', 'freedroidrpg-data',
           'usr/share/freedroidrpg/data/sound/music/*.ogg', 1903),
    Source('supertux', 'supertux-data',
           'usr/share/games/supertux2/music/*/*.ogg', 1904),
)
# Composers credited track by track in their packages. Warzone2100's
# original album and the aftermath album's "enhanced" remasters of its pieces
# are Martin Severn's compositions.
COMPOSERS = (
    Source('lupusmechanicus', 'warzone2100-music',
           'usr/share/games/warzone2100/music/albums/*/*.opus', 1911,
           exclude=('*/original_soundtrack/*', '*_enhanced.opus'),
           group_variants=False),
    Source('mccracken', 'singularity-music',
           'usr/share/games/singularity/music/*.ogg', 1912,
           group_variants=False),
    Source('crystan', 'ufoai-music', 'music/Crystan-*.ogg', 1913,
           archive='usr/share/games/ufoai/base/0music.pk3',
           group_variants=False),
    Source('baklund', 'ufoai-music', 'music/Marine*.ogg', 1914,
           archive='usr/share/games/ufoai/base/0music.pk3',
           group_variants=False),
)
# Three games, none used to choose anything: the nexuiz soundtrack (mostly
# electronic), hedgewars' (several composers, credited in its credits.txt)
# and flare's fantasy themes. 'sixtyfour_' and 'sixtyfour_revisited',
# 'Olympics' and 'olympics_sd' are variants of one piece.
TRIO = (
    Source('nexuiz', 'nexuiz-music', 'sound/cdtracks/*.ogg', 1921,
           archive='usr/share/games/nexuiz/data/music.pk3'),
    Source('hedgewars', 'hedgewars-data',
           'usr/share/games/hedgewars/Data/Music/*.ogg', 1922),
    Source('flare', 'flare-game',
           'usr/share/games/flare/mods/fantasycore/music/*.ogg', 1923),
)
CORPORA = {'soundtracks': SOURCES, 'composers': COMPOSERS, 'trio': TRIO}
# Never used here: kept for an independent check of this project.
RESERVED_PACKAGES = ('wesnoth-music', 'hyperrogue-music', 'drascula-music')


def eras(sources):
  """The builder's --eras value that labels a corpus (one "era" a class)."""
  return ','.join(f'{s.name}:{s.year}-{s.year}' for s in sources)


ERAS = eras(SOURCES)
# Formats cycle over the tapes, so the builder decodes all of them.
_FORMATS = ('flac', 'mp3', 'wav', 'ogg')
# Suffixes that mark a variant of another track of the same game.
_VARIANT = re.compile(r'([_-](fast|f|remix|remake|old|map|sprint|cave|theme|'
                      r'night|dark|boss|daytime|revisited|sd))+$')
# One trailing digit numbers a variant ('forest2'); two number pieces.
_VARIANT_NUMBER = re.compile(r'(?<!\d)[_-]?\d$')


class CorpusError(Exception):
  """An expected failure (no apt-get, a package not found): one line."""


def artist(stem, group_variants=True):
  """The group of a track: its name without variant suffixes, alphanumeric.

  'celtic_fast' and 'celtic' → 'celtic'; 'forest2' → 'forest';
  'ingame_05' stays 'ingame05' (two digits number distinct pieces). With
  group_variants=False only the alphanumeric name: 'track4' → 'track4'.
  """
  name = stem.lower()
  if group_variants:
    name = _VARIANT_NUMBER.sub('', name)
    while (shorter := _VARIANT.sub('', name)) not in (name, ''):
      name = shorter
  return re.sub(r'[^a-z0-9]', '', name) or 'track'


def download(package, cache_dir):
  """The path of `package`'s .deb in cache_dir, fetched by apt-get if absent."""
  if package in RESERVED_PACKAGES:
    raise CorpusError(f'{package} is reserved for an independent check')
  os.makedirs(cache_dir, exist_ok=True)
  found = glob.glob(os.path.join(cache_dir, f'{package}_*.deb'))
  if found:
    return sorted(found)[-1]
  try:
    subprocess.run(['apt-get', 'download', package], cwd=cache_dir,
                   check=True, capture_output=True, text=True)
  except FileNotFoundError as e:
    raise CorpusError('apt-get not found: this script needs Debian or '
                      'Ubuntu') from e
  except subprocess.CalledProcessError as e:
    last = (e.stderr.strip().splitlines() or ['no output'])[-1]
    raise CorpusError(f'apt-get download {package} failed: {last} (run '
                      '`apt-get update` first?)') from e
  return sorted(glob.glob(os.path.join(cache_dir, f'{package}_*.deb')))[-1]


def _matches(name, source):
  return fnmatch.fnmatch(name, source.pattern) and not any(
      fnmatch.fnmatch(name, x) for x in source.exclude)


def _save(src, out_dir, name):
  target = os.path.join(out_dir, name)
  os.makedirs(os.path.dirname(target), exist_ok=True)
  with src, open(target, 'wb') as dst:
    dst.write(src.read())
  return target


@functools.lru_cache(maxsize=1)  # Classes from one package read it once.
def _fsys_tarfile(deb):
  return subprocess.run(['dpkg-deb', '--fsys-tarfile', deb], check=True,
                        capture_output=True).stdout


def extract(deb, source, out_dir):
  """Extracts `source`'s tracks from a .deb into out_dir; returns their paths.

  The tracks are the package's files matching source.pattern, or, when
  source.archive names a zip inside the package, that zip's members.
  """
  paths = []
  with tarfile.open(fileobj=io.BytesIO(_fsys_tarfile(deb))) as tar:
    for member in tar.getmembers():
      name = member.name.lstrip('./')
      if not member.isfile():
        continue
      if source.archive and name == source.archive:
        with zipfile.ZipFile(tar.extractfile(member)) as z:
          paths += [_save(z.open(n), out_dir, n) for n in z.namelist()
                    if not n.endswith('/') and _matches(n, source)]
      elif not source.archive and _matches(name, source):
        paths.append(_save(tar.extractfile(member), out_dir, name))
  return sorted(paths)


def write_tape(src, dst, *, max_seconds, block=8192):
  """Copies at most `max_seconds` of `src` to `dst` (format from its name).

  A `max_seconds` of 0 or less copies the whole track.

  Returns:
    Seconds written.
  """
  fmt = os.path.splitext(dst)[1][1:].upper()
  subtype = 'PCM_16' if fmt == 'WAV' else None
  tmp = dst + '.part'  # Never a half-written tape under its final name.
  with soundfile.SoundFile(src) as f:
    frames = f.frames
    if max_seconds > 0:
      frames = min(frames, int(max_seconds * f.samplerate))
    with soundfile.SoundFile(tmp, 'w', f.samplerate, f.channels, format=fmt,
                             subtype=subtype) as out:
      # Block by block (a whole track can be minutes long); small blocks
      # also suit libsndfile's Vorbis writer.
      written = 0
      while written < frames:
        x = f.read(min(block, frames - written), dtype='float32',
                   always_2d=True)
        if not len(x):
          break
        out.write(x)
        written += len(x)
  os.replace(tmp, dst)
  return written / f.samplerate


def make_check_corpus(output_dir, *, cache_dir, sources=SOURCES,
                      min_seconds=45.0, max_seconds=90.0, progress=None):
  """Writes the tapes of `sources` and their `tracklist.csv` into output_dir.

  Args:
    output_dir: created if missing; tapes are named
      `{class}_{artist}_Tape_{n}_{year}` (the collection's scheme).
    cache_dir: where the .deb files and extracted tracks are kept.
    sources: the classes (`SOURCES`, `COMPOSERS`), one Source each.
    min_seconds: shorter tracks (jingles, stingers) are left out.
    max_seconds: each tape keeps at most this much of its track; 0 or less
      keeps whole tracks.
    progress: called with a message per written tape, or None.

  Returns:
    {class: {'tapes': n, 'artists': n, 'seconds': s}}.
  """
  os.makedirs(output_dir, exist_ok=True)
  rows, summary, k = {}, {}, 0  # rows: {title: year}.
  for source in sources:
    deb = download(source.package, cache_dir)
    tracks = extract(deb, source, os.path.join(cache_dir, source.package))
    entry = summary[source.name] = {'tapes': 0, 'artists': set(),
                                    'seconds': 0.0}
    for number, path in enumerate(tracks, start=1):
      if soundfile.info(path).duration < min_seconds:
        continue
      group = artist(os.path.splitext(os.path.basename(path))[0],
                     source.group_variants)
      title = f'{source.name}_{group}_Tape_{number}_{source.year}'
      ext = _FORMATS[k % len(_FORMATS)]
      k += 1
      seconds = write_tape(path, os.path.join(output_dir, f'{title}.{ext}'),
                           max_seconds=max_seconds)
      rows[title] = str(source.year)
      entry['tapes'] += 1
      entry['artists'].add(group)
      entry['seconds'] += seconds
      if progress:
        progress(title)
  # Atomically, last: a corpus cut short has no track list naming its tapes.
  naming.write_tracklist(os.path.join(output_dir, 'tracklist.csv'), rows)
  return {name: {'tapes': e['tapes'], 'artists': len(e['artists']),
                 'seconds': round(e['seconds'], 1)}
          for name, e in summary.items()}

