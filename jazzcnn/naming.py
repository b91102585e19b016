"""The collection's naming: tapes, artists, track lists, era labels, splits.

One owner for what a tape is called and where it goes, with no heavy
imports, so the builder (Beam), the trainer's tools (TensorFlow) and the
scraper agree without importing each other.
"""

import csv
import dataclasses
import hashlib
import io
import os
import posixpath
import re
import shlex

SPLITS = ('train', 'validation', 'test')
# The formats decoded here (libsndfile), lossless first: the preferred
# file of a tape held in several (`one_file_per_tape`).
AUDIO_EXTENSIONS = ('.flac', '.wav', '.aiff', '.aif', '.ogg', '.opus', '.mp3')
AUDIO_FORMATS = 'MP3/FLAC/OGG/Opus/WAV/AIFF'  # How messages name them.
# Audio formats libsndfile does not decode. Found among tapes, they are
# reported with how to convert them, never passed over unseen.
UNDECODED_EXTENSIONS = ('.m4a', '.aac', '.mp4', '.wma', '.ape', '.wv',
                        '.mka', '.webm', '.ra', '.amr')
# How tapes are grouped so that no group straddles two splits; the builder's.
SPLIT_BY, DEFAULT_SPLIT_BY = ('tape', 'artist', 'artist_era'), 'artist_era'
_ARTIST_END = '_Tape_'  # "Duke_Ellington_Tape_12_1940" → "Duke_Ellington".


def tape_id(path):
  """A tape's id: its file name without directory and extension."""
  return os.path.splitext(posixpath.basename(path))[0]


def is_audio(path):
  """Whether `path` names a file of a format decoded here."""
  return path.lower().endswith(AUDIO_EXTENSIONS)


def is_undecoded(path):
  """Whether `path` names audio of a format not decoded here (AAC, WMA...)."""
  return path.lower().endswith(UNDECODED_EXTENSIONS)


def undecoded_reason(path):
  """Why an `is_undecoded` file is not read, and how to make it readable."""
  stem, ext = os.path.splitext(posixpath.basename(path))
  return (f'{ext[1:].upper()} is not decoded here ({AUDIO_FORMATS} are): '
          f'convert it first, e.g. ffmpeg -i {shlex.quote(stem + ext)} '
          f'{shlex.quote(stem + ".flac")}')


def one_file_per_tape(paths):
  """{tape id: the file to use} of audio `paths`: lossless first
  (`AUDIO_EXTENSIONS` order), then by path; a file of a format not decoded
  here (`UNDECODED_EXTENSIONS`) only for a tape held in no other. archive.org
  items hold the original FLAC/WAV next to MP3 derivatives of the same tape."""
  order = AUDIO_EXTENSIONS + UNDECODED_EXTENSIONS
  rank = lambda p: (order.index(os.path.splitext(p)[1].lower()), p)
  chosen = {}
  for path in sorted(paths, key=rank):
    chosen.setdefault(tape_id(path), path)
  return chosen


def artist(tape):
  """The artist of a tape id: the name before `_Tape_`, else the whole id."""
  head, sep, _ = tape.partition(_ARTIST_END)
  return head if sep and head else tape


def split_key(tape, era, split_by):
  """The group whose members share a split.

  `split_by`: 'tape' (each tape alone), 'artist' (all of an artist's tapes
  together) or 'artist_era' (an artist's tapes of one era together, so a
  model cannot pass the test by recognising the band and its recording
  chain, while one artist may still appear in several eras); else
  ValueError.
  """
  if split_by == 'tape':
    return tape
  if split_by == 'artist':
    return artist(tape)
  if split_by == 'artist_era':
    return f'{artist(tape)}|{era}'
  raise ValueError(f'split_by must be one of {SPLIT_BY}, got {split_by!r}')


def assign_split(key, fractions):
  """Stable split of a group key: the same key always lands in the same split."""
  digest = hashlib.sha256(key.encode('utf-8')).digest()
  u = int.from_bytes(digest[:8], 'big') / 2.0**64
  edge = 0.0
  for split, fraction in zip(SPLITS, fractions):
    edge += fraction
    if u < edge:
      return split
  return SPLITS[-1]


def fold_splits(group_eras, folds, fold):
  """Group-stratified K-fold splits: {group: split}.

  Within each era, groups are ordered by their hash and dealt to the folds
  in turn (each era starting one fold further), so every fold holds about
  1/K of every era's groups. Fold `fold` is the test split, fold `fold + 1`
  (mod K) the validation split and the rest is train. `group_eras`: {group
  key: era name}; ValueError unless folds >= 3 and 0 <= fold < folds.
  """
  if folds < 3 or not 0 <= fold < folds:
    raise ValueError(f'need folds >= 3 and 0 <= fold < folds, got folds='
                     f'{folds}, fold={fold}')
  by_era = {}
  for group, era in group_eras.items():
    by_era.setdefault(era, []).append(group)
  order = lambda g: hashlib.sha256(g.encode('utf-8')).digest()
  splits = {}
  for offset, era in enumerate(sorted(by_era)):
    for i, group in enumerate(sorted(by_era[era], key=order)):
      k = (i + offset) % folds
      splits[group] = ('test' if k == fold else 'validation'
                       if k == (fold + 1) % folds else 'train')
  return splits


# The track list and the era label rule.

DEFAULT_ERAS = 'early:1920-1930,swing:1931-1944,bop:1945-1949,cool:1950-1955'

# Statuses of tapes that get no era; they are counted and left out.
AMBIGUOUS = 'ambiguous'  # The year range touches an era but crosses its edge.
OUTSIDE = 'outside'  # The year range touches no era.
UNLABELLED = 'unlabelled'  # No valid year in the title or the year column.
NOT_LABELLED = (AMBIGUOUS, OUTSIDE, UNLABELLED)

MIN_YEAR, MAX_YEAR = 1900, 2025
# A 4-digit 19xx year not glued to other digits ("Tape_94_1964-1965").
_TITLE_YEAR = re.compile(r'(?<!\d)(19\d\d)(?!\d)')


@dataclasses.dataclass(frozen=True)
class Era:
  name: str
  first: int  # First year, inclusive.
  last: int  # Last year, inclusive.


@dataclasses.dataclass(frozen=True)
class Label:
  status: str  # An era name, or one of NOT_LABELLED.
  era_index: int | None  # Index into the eras; None unless labelled.
  years: tuple[int, int] | None  # The tape's year range, if it has one.


def parse_eras(spec):
  """Parses `name:first-last,...` into a tuple of `Era`s, in label order.

  Raises:
    ValueError: on a malformed entry, a repeated name, a reversed or
      overlapping range.
  """
  eras = []
  for item in spec.split(','):
    match = re.fullmatch(r'\s*([A-Za-z_][\w-]*)\s*:\s*(\d{4})\s*-\s*(\d{4})\s*',
                         item)
    if not match:
      raise ValueError(f'bad era {item!r} in {spec!r}: expected name:YYYY-YYYY')
    era = Era(match[1], int(match[2]), int(match[3]))
    if era.first > era.last:
      raise ValueError(f'era {era.name} ends before it starts: {item!r}')
    if era.name in NOT_LABELLED or any(e.name == era.name for e in eras):
      raise ValueError(f'era name {era.name!r} is repeated or reserved')
    for other in eras:
      if era.first <= other.last and other.first <= era.last:
        raise ValueError(f'eras {other.name} and {era.name} overlap')
    eras.append(era)
  if len(eras) < 2:
    raise ValueError(f'need at least two eras to classify, got {spec!r}')
  return tuple(eras)


def year_range(title, year):
  """(first, last) year of a tape: the 19xx years in its `title`, else a
  valid `year` column (text, may be blank or wrong); None without either."""
  years = [int(y) for y in _TITLE_YEAR.findall(title)]
  if years:
    return min(years), max(years)
  # '1935.0': pandas writes a year column with blanks in it as floats.
  year = re.sub(r'\.0*$', '', (year or '').strip())
  if re.fullmatch(r'\d{4}', year) and MIN_YEAR <= int(year) <= MAX_YEAR:
    return int(year), int(year)
  return None


def label(title, year, eras):
  """Applies the label rule to one track-list row; returns a `Label`."""
  years = year_range(title, year)
  if years is None:
    return Label(UNLABELLED, None, None)
  first, last = years
  for index, era in enumerate(eras):
    if era.first <= first and last <= era.last:
      return Label(era.name, index, years)
  for era in eras:
    if first <= era.last and era.first <= last:
      return Label(AMBIGUOUS, None, years)
  return Label(OUTSIDE, None, years)


def why_not_labelled(label, year):
  """Why a `label` of a NOT_LABELLED status gives its tape no era: the
  detail of the builder's skip (`year`: the track list's year column)."""
  if label.status == UNLABELLED:
    return ('no 19xx year in the title, and ' + (
        f'the year column {year!r} is no year {MIN_YEAR}-{MAX_YEAR}'
        if (year or '').strip() else 'no year in the track list'))
  first, last = label.years
  years = f'{first}' if first == last else f'{first}-{last}'
  return (f'years {years} cross the edge of an era' if label.status ==
          AMBIGUOUS else f'years {years} lie in no era') + ' (--eras)'


def labelled_groups(titles, tracklist, eras, split_by):
  """{title: (era, split group)} of the `titles` that the track list
  labels with one of `eras` (`label`; groups by `split_key`): what the
  builder and `beam_pipelines.tracklist` split."""
  out = {}
  for title in titles:
    if title in tracklist:
      status = label(title, tracklist[title], eras).status
      if status not in NOT_LABELLED:
        out[title] = (status, split_key(title, status, split_by))
  return out


def read_tracklist(path, read_text=None):
  """Reads a `title,year` CSV into {title: year text}: the header in any
  case, a title with an audio file's extension ('X.flac') taken as the
  tape's ('X').

  Args:
    path: the CSV file.
    read_text: returns the text of `path` (e.g. for gs:// paths); default:
      a local file.

  Raises:
    ValueError: if there is no such file, it is not UTF-8 (a byte-order
      mark is accepted), the header lacks `title`, or a title is listed
      twice with different years.
  """
  try:
    if read_text is None:
      with open(path, encoding='utf-8') as f:
        text = f.read()
    else:
      text = read_text(path)
  except UnicodeDecodeError as e:
    raise ValueError(f'{path}: not UTF-8 text (byte {e.start}); save the '
                     'track list as UTF-8') from None
  except (FileNotFoundError, IsADirectoryError):
    raise ValueError(f'no track list file at {path} (a "title,year" CSV)'
                     ) from None
  reader = csv.DictReader(io.StringIO(text.removeprefix('\ufeff')))
  if not reader.fieldnames or 'title' not in (
      names := [n.strip().lower() for n in reader.fieldnames]):
    raise ValueError(f'{path}: expected a CSV header with "title,year", '
                     f'got {reader.fieldnames}')
  reader.fieldnames = names
  rows = {}
  for row in reader:
    title = (row.get('title') or '').strip()
    if is_audio(title) or is_undecoded(title):
      title = tape_id(title)
    if not title:
      continue
    year = (row.get('year') or '').strip()
    if rows.get(title, year) != year:
      raise ValueError(f'{path}: {title!r} is listed twice with different '
                       f'years ({rows[title]!r}, {year!r})')
    rows[title] = year
  return rows


def write_tracklist(path, rows):
  """Writes {title: year} as a `title,year` CSV, sorted, atomically: on any
  failure `path` is left as it was (as `outputs.write` does, which this
  module cannot import: it keeps the builder free of TensorFlow)."""
  tmp = f'{path}.tmp-{os.getpid()}'
  try:
    with open(tmp, 'w', newline='', encoding='utf-8') as f:
      writer = csv.writer(f)
      writer.writerow(['title', 'year'])
      writer.writerows(sorted(rows.items()))
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise
