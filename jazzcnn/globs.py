"""When a name on the command line is a glob, and how to read one whose
folders' own names hold glob characters.

A name is a glob only when no such file or folder exists: 'Song [Live].flac'
and 'tapes [2024]/' are names people give. `predict` and `embed` (on
TensorFlow's file systems) and the records builder (on Beam's) both ask
here, each passing its own test for a folder. Every glob of files in a
folder the program was given or made goes through `inside`.
"""

import posixpath

GLOB_CHARACTERS = '*?['


def is_glob(name):
  return any(c in name for c in GLOB_CHARACTERS)


def escape(name):
  """`name` as a glob that matches only itself: each glob character in a
  class of its own, `[[]`, which fnmatch, TensorFlow and Beam all read."""
  return ''.join(f'[{c}]' if c in GLOB_CHARACTERS else c for c in name)


def inside(folder, *pattern):
  """A glob of `pattern` (joined parts) in `folder`, whose own name is read
  as it is: 'records [v2]/train-*' lists that folder's shards, not those of
  'records v' or 'records 2'."""
  return posixpath.join(escape(folder), *pattern)


def with_literal_folder(pattern, is_dir):
  """`pattern` with its longest leading folder that exists under its own
  name escaped, so that 'tapes [2024]/*.flac' lists that folder's FLAC files
  rather than taking '[2024]' for a character class. Folders are tested
  only while their names hold glob characters."""
  parts = pattern.split('/')
  for end in range(len(parts) - 1, 0, -1):
    folder = '/'.join(parts[:end])
    if is_glob(folder) and is_dir(folder):
      return '/'.join([escape(folder), *parts[end:]])
  return pattern
