"""When a name on the command line is a glob, and how to read one whose
folders' own names hold glob characters.

A name is a glob only when no such file or folder exists: 'Song [Live].flac'
and 'tapes [2024]/' are names people give. `predict` and `embed` (on
TensorFlow's file systems) and the records builder (on Beam's) both ask
here, each passing its own test for a folder.
"""

GLOB_CHARACTERS = '*?['


def is_glob(name):
  return any(c in name for c in GLOB_CHARACTERS)


def escape(name):
  """`name` as a glob that matches only itself: each glob character in a
  class of its own, `[[]`, which fnmatch, TensorFlow and Beam all read."""
  return ''.join(f'[{c}]' if c in GLOB_CHARACTERS else c for c in name)


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
