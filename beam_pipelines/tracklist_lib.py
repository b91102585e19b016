"""Track list parsing and the era label rule."""

import collections
import csv
import dataclasses
import io
import os
import re

from jazzcnn import naming

DEFAULT_TRACKLIST = os.path.join(os.path.dirname(__file__), 'data',
                                 'niven_songlist.csv')
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
  """The tape's years: the 19xx years in its title, else a valid year column.

  Args:
    title: the tape's title.
    year: the track list's year column, as text (may be blank or wrong).

  Returns:
    (first, last) or None when there is no valid year.
  """
  years = [int(y) for y in _TITLE_YEAR.findall(title)]
  if years:
    return min(years), max(years)
  year = (year or '').strip()
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


def read_tracklist(path, read_text=None):
  """Reads a `title,year` CSV into {title: year text}.

  Args:
    path: the CSV file.
    read_text: returns the text of `path` (e.g. for gs:// paths); default:
      a local file.

  Raises:
    ValueError: if the file is not UTF-8 (a byte-order mark is accepted),
      the header lacks `title`, or a title is listed twice with different
      years.
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
  reader = csv.DictReader(io.StringIO(text.removeprefix('\ufeff')))
  if not reader.fieldnames or 'title' not in reader.fieldnames:
    raise ValueError(f'{path}: expected a CSV header with "title,year", '
                     f'got {reader.fieldnames}')
  rows = {}
  for row in reader:
    title = (row.get('title') or '').strip()
    if not title:
      continue
    year = (row.get('year') or '').strip()
    if rows.get(title, year) != year:
      raise ValueError(f'{path}: {title!r} is listed twice with different '
                       f'years ({rows[title]!r}, {year!r})')
    rows[title] = year
  return rows


def summarize(tracklist, eras):
  """Counts the track list's tapes per era and per unlabelled status."""
  counts = collections.Counter(
      label(title, year, eras).status for title, year in tracklist.items())
  return {name: counts[name] for name in [e.name for e in eras]
          + list(NOT_LABELLED)}


def split_summary(tracklist, eras, *, split_by, fractions=(0.8, 0.1, 0.1),
                  folds=0, fold=0):
  """Tapes and groups per era in each split, as the builder would split them.

  Args:
    tracklist: {title: year text}.
    eras: `Era`s.
    split_by: 'tape', 'artist' or 'artist_era' (`naming.split_key`).
    fractions: train, validation, test fractions of the groups.
    folds: K > 0: group-stratified folds instead (`naming.fold_splits`).
    fold: the test fold.

  Returns:
    {split: {era: {'tapes': n, 'groups': n}}}, and a list of warnings (an
    era with no tapes in a split).
  """
  labelled = {}
  for title, year in tracklist.items():
    status = label(title, year, eras).status
    if status not in NOT_LABELLED:
      labelled[title] = (status, naming.split_key(title, status, split_by))
  split_of = (naming.fold_splits({g: e for e, g in labelled.values()}, folds,
                                 fold) if folds else None)
  out = {s: {e.name: {'tapes': 0, 'groups': set()} for e in eras}
         for s in naming.SPLITS}
  for era, group in labelled.values():
    split = (split_of[group] if split_of else
             naming.assign_split(group, fractions))
    out[split][era]['tapes'] += 1
    out[split][era]['groups'].add(group)
  warnings = [f'era {era} has no {split} tapes' for split in naming.SPLITS
              for era, v in out[split].items() if not v['tapes']]
  return ({s: {e: {'tapes': v['tapes'], 'groups': len(v['groups'])}
               for e, v in by_era.items()} for s, by_era in out.items()},
          warnings)
