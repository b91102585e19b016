"""The collection's naming: tape ids, artists, audio files and splits.

One owner for what a tape is called and where it goes, with no heavy
imports, so the builder (Beam), the trainer's tools (TensorFlow) and the
scraper agree without importing each other.
"""

import hashlib
import os
import posixpath

SPLITS = ('train', 'validation', 'test')
AUDIO_EXTENSIONS = ('.flac', '.wav', '.ogg', '.mp3')  # Preferred first.
# How tapes are grouped so that no group straddles two splits.
SPLIT_BY = ('tape', 'artist', 'artist_era')
_ARTIST_END = '_Tape_'  # "Duke_Ellington_Tape_12_1940" → "Duke_Ellington".


def tape_id(path):
  """A tape's id: its file name without directory and extension."""
  return os.path.splitext(posixpath.basename(path))[0]


def is_audio(path):
  return path.lower().endswith(AUDIO_EXTENSIONS)


def artist(tape):
  """The artist of a tape id: the name before `_Tape_`, else the whole id."""
  head, sep, _ = tape.partition(_ARTIST_END)
  return head if sep and head else tape


def split_key(tape, era, split_by):
  """The group whose members share a split.

  Args:
    tape: the tape id.
    era: the tape's era name.
    split_by: 'tape' (each tape alone), 'artist' (all of an artist's tapes
      together) or 'artist_era' (an artist's tapes of one era together, so
      a model cannot pass the test by recognising the band and its
      recording chain, while one artist may still appear in several eras).

  Raises:
    ValueError: for an unknown `split_by`.
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
  (mod K) the validation split and the rest is train.

  Args:
    group_eras: {group key: era name}.
    folds: K, at least 3.
    fold: the test fold, 0 <= fold < K.

  Raises:
    ValueError: for folds < 3 or a fold out of range.
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
