"""Builds a check corpus (`check_corpora`) from Debian packages: downloads
each package, takes its tracks (from the package or a zip inside it) and
writes them as tapes with their track list.
"""

import collections
import fnmatch
import functools
import glob
import io
import os
import posixpath
import re
import subprocess
import tarfile
import zipfile

import soundfile

from beam_pipelines import check_corpora
from jazzcnn import globs
from jazzcnn import naming


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


def download(package, cache_dir, *, independent_check=False):
  """The path of `package`'s .deb in cache_dir, fetched by apt-get if absent.

  The packages kept for the independent check (`RESERVED_PACKAGES`) are
  refused unless `independent_check`: for whoever runs that check.
  """
  if package in check_corpora.RESERVED_PACKAGES and not independent_check:
    raise CorpusError(f'{package} is reserved for an independent check of '
                      'this project (--independent_check if you run it)')
  os.makedirs(cache_dir, exist_ok=True)
  found = glob.glob(globs.inside(cache_dir, f'{package}_*.deb'))
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
  return sorted(glob.glob(globs.inside(cache_dir, f'{package}_*.deb')))[-1]


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


def _no_tracks(deb, source):
  """The line for a class whose pattern matched no file of its package."""
  with tarfile.open(fileobj=io.BytesIO(_fsys_tarfile(deb))) as tar:
    files = {m.name.lstrip('./'): m for m in tar.getmembers() if m.isfile()}
    if source.archive not in files | {'': None}:
      return (f'{source.name}: {source.package} holds no file '
              f'{source.archive} (the zip before the \'!\')')
    names = list(files)
    if source.archive:
      with zipfile.ZipFile(tar.extractfile(files[source.archive])) as z:
        names = z.namelist()
  folders = collections.Counter(
      posixpath.dirname(n) + '/' for n in names
      if naming.is_audio(n) or naming.is_undecoded(n))
  where = f' in its {source.archive}' if source.archive else ''
  # Folders named for music first, then those holding the most.
  most = sorted(folders.items(),
                key=lambda f: ('music' not in f[0].lower(), -f[1], f[0]))
  hint = ('; its audio files are in ' + ', '.join(
      f'{folder} ({n})' for folder, n in most[:3]) + (
          f' and {len(most) - 3} more folder{"s" * (len(most) > 4)}'
          if len(most) > 3 else '')
          if most else '; it holds no audio files')
  return (f'{source.name}: no file of {source.package}{where} matches '
          f'{source.pattern}{hint}')


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


def make_check_corpus(output_dir, *, cache_dir, sources=check_corpora.SOURCES,
                      min_seconds=45.0, max_seconds=90.0, progress=None,
                      independent_check=False):
  """Writes the tapes of `sources` and their `tracklist.csv` into output_dir.

  Args:
    output_dir: created if missing; tapes are named
      `{class}_{artist}_Tape_{n}_{year}` (the collection's scheme).
    cache_dir: where the .deb files and extracted tracks are kept.
    sources: the classes (`SOURCES`, `COMPOSERS`), one Source each.
    min_seconds: shorter tracks (jingles, stingers) are left out.
    max_seconds: each tape keeps at most this much of its track; 0 or less
      keeps whole tracks.
    progress: called after each tape is written, with its title and the
      number of tapes the corpus will have; or None.
    independent_check: allows `RESERVED_PACKAGES` (`download`).

  Returns:
    {class: {'tapes': n, 'artists': n, 'seconds': s}}.
  """
  tracks = {}  # Every class's tracks are found before a tape is written.
  for source in sources:
    deb = download(source.package, cache_dir,
                   independent_check=independent_check)
    paths = extract(deb, source, os.path.join(cache_dir, source.package))
    if not paths:
      raise CorpusError(_no_tracks(deb, source))
    # Numbered among all of the class's tracks, the jingles left out too.
    tracks[source] = [(number, path) for number, path in enumerate(paths, 1)
                      if soundfile.info(path).duration >= min_seconds]
    if not tracks[source]:
      raise CorpusError(f'{source.name}: each of its {len(paths)} tracks is '
                        f'shorter than --min_seconds ({min_seconds:g} s)')
  os.makedirs(output_dir, exist_ok=True)
  total = sum(map(len, tracks.values()))
  rows, summary, k = {}, {}, 0  # rows: {title: year}.
  for source, numbered in tracks.items():
    entry = summary[source.name] = {'tapes': len(numbered), 'artists': set(),
                                    'seconds': 0.0}
    for number, path in numbered:
      stem = os.path.splitext(os.path.basename(path))[0]
      group = artist(dict(source.same_audio).get(stem, stem),
                     source.group_variants)
      title = f'{source.name}_{group}_Tape_{number}_{source.year}'
      ext = _FORMATS[k % len(_FORMATS)]
      k += 1
      seconds = write_tape(path, os.path.join(output_dir, f'{title}.{ext}'),
                           max_seconds=max_seconds)
      rows[title] = str(source.year)
      entry['artists'].add(group)
      entry['seconds'] += seconds
      if progress:
        progress(title, total)
  # Atomically, last: a corpus cut short has no track list naming its tapes.
  naming.write_tracklist(os.path.join(output_dir, 'tracklist.csv'), rows)
  return {name: {'tapes': e['tapes'], 'artists': len(e['artists']),
                 'seconds': round(e['seconds'], 1)}
          for name, e in summary.items()}

