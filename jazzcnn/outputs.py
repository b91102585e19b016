"""Output files written whole or not at all: a temporary name, then a rename.

Every file a job leaves for a person or another job (results.json,
metrics.json, best.json, caches, plots, embeddings) goes through here, so a
run killed or failing mid-write never leaves half a file under the final
name, and a reader never sees one being written. Paths are local or any
filesystem tf.io.gfile knows (gs://).
"""

import json
import uuid

import tensorflow as tf


def write(path, data):
  """Writes `data` (str or bytes) to `path`, replacing it in one step.

  On any failure the temporary file is removed and `path` is left as it was.
  """
  tmp = f'{path}.tmp-{uuid.uuid4().hex[:8]}'
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
