"""Output files written whole or not at all: a temporary name, then a rename.

Every file a job leaves for a person or another job (results.json,
metrics.json, best.json, caches, plots, embeddings) goes through here, so a
run killed or failing mid-write never leaves half a file under the final
name, and a reader never sees one being written. Paths are local or any
filesystem tf.io.gfile knows (gs://).
"""

import json
import os
import uuid

import tensorflow as tf


def _temporary(path, kind='tmp'):
  """A fresh name beside `path`, for what is not yet (or no longer) it."""
  return f'{path}.{kind}-{uuid.uuid4().hex[:8]}'


def write(path, data):
  """Writes `data` (str or bytes) to `path`, replacing it in one step.

  On any failure the temporary file is removed and `path` is left as it was.
  """
  tmp = _temporary(path)
  try:
    with tf.io.gfile.GFile(tmp, 'wb' if isinstance(data, bytes) else 'w') as f:
      f.write(data)
    tf.io.gfile.rename(tmp, path, overwrite=True)
  except BaseException:
    if tf.io.gfile.exists(tmp):
      tf.io.gfile.remove(tmp)
    raise


def write_json(path, obj, *, indent=1):
  """Writes `obj` as strict JSON: a NaN or infinity raises, writing nothing."""
  write(path, json.dumps(obj, indent=indent, allow_nan=False))


def write_directory(path, fill):
  """Writes a directory whole: `fill(tmp)` writes it under a temporary name,
  then it is renamed to `path`, replacing any earlier one.

  On any failure the temporary directory is removed and an earlier `path`
  is kept (put back if the final rename fails). On a local disk a reader
  finds a whole directory or none; on gs://, where a directory rename
  copies object by object, pair it with a marker file written last.
  """
  tmp, old = _temporary(path), _temporary(path, 'old')
  try:
    fill(tmp)
    if tf.io.gfile.exists(path):
      tf.io.gfile.rename(path, old)
    try:
      tf.io.gfile.rename(tmp, path)
    except BaseException:
      if tf.io.gfile.exists(old) and not tf.io.gfile.exists(path):
        tf.io.gfile.rename(old, path)  # The earlier one stays.
      raise
  finally:
    for leftover in (tmp, old):
      if tf.io.gfile.exists(leftover):
        tf.io.gfile.rmtree(leftover)


def missing_top(path):
  """The outermost directory that creating `path` would create: `path` or
  an ancestor; None when `path` exists or is not on a local disk (object
  stores have no directories to leave behind)."""
  if '://' in path:
    return None
  path = os.path.abspath(path)
  top = None
  while not os.path.exists(path):
    top, path = path, os.path.dirname(path)
  return top


def remove_empty_dirs(top):
  """Removes `top` and the directories under it that hold no file, deepest
  first: what a failed command created and never filled. Files stay."""
  if not top or not os.path.isdir(top):
    return
  for d, _, _ in os.walk(top, topdown=False):
    try:
      os.rmdir(d)
    except OSError:
      pass  # Not empty: it holds a file, or a directory that does.
