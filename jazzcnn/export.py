"""The exported model: what training leaves for evaluate, predict, embed, plot."""

import json
import os
import posixpath
import tempfile

import keras
import tensorflow as tf

from jazzcnn import outputs
from jazzcnn import provenance

EXPORT_DIR = 'export'
ERAS_FILE = 'eras.json'  # Written last: marks a complete export.


def export(model, model_dir, info, **extra):
  """Writes export/model.keras, export/saved_model and export/eras.json.

  eras.json is written last and marks a complete export: it is removed
  first, so an export cut short (a crash, a full disk) is never loaded as
  whole (`load_exported` refuses it). model.keras is written whole or not
  at all (`outputs`), and so is saved_model (`outputs.write_directory`):
  it is exported under a temporary name and renamed into place, so on a
  local disk a server that opens export/saved_model finds a whole export
  or none, never half of one. (On gs://, a directory rename copies object
  by object; there eras.json is the mark to check.)

  Args:
    model: the trained Keras model.
    model_dir: the training run's directory (local or gs://).
    info: the records' dataset_info.json dict.
    **extra: more JSON-ready entries for eras.json (e.g. the architecture).
  """
  out = posixpath.join(model_dir, EXPORT_DIR)
  tf.io.gfile.makedirs(out)
  marker = posixpath.join(out, ERAS_FILE)
  if tf.io.gfile.exists(marker):
    tf.io.gfile.remove(marker)
  with tempfile.TemporaryDirectory(prefix='jazzcnn_') as local:
    saved = os.path.join(local, 'model.keras')  # Keras writes local files.
    model.save(saved)
    with open(saved, 'rb') as f:
      outputs.write(posixpath.join(out, 'model.keras'), f.read())
  outputs.write_directory(posixpath.join(out, 'saved_model'),
                          lambda tmp: model.export(tmp, verbose=False))
  meta = dict(provenance.model_keys(info), **extra)
  outputs.write_json(marker, meta)


def load_exported(model_dir):
  """(model, eras.json dict) from a model dir written by training.

  Raises:
    ValueError: when model_dir holds no complete exported model.
  """
  out = posixpath.join(model_dir, EXPORT_DIR)
  path = posixpath.join(out, 'model.keras')
  if not tf.io.gfile.exists(path):
    raise ValueError(f'{path} not found: train a model into {model_dir} first')
  marker = posixpath.join(out, ERAS_FILE)
  if not tf.io.gfile.exists(marker):
    raise ValueError(f'{out} is an incomplete export (no {ERAS_FILE}: the '
                     'export was cut short); train again into '
                     f'{model_dir} to export it whole')
  with tf.io.gfile.GFile(marker) as f:
    meta = json.load(f)
  import jazzcnn  # pylint: disable=g-import-not-at-top,unused-import
  if '://' not in path:
    return keras.saving.load_model(path), meta
  with tempfile.TemporaryDirectory(prefix='jazzcnn_') as local:
    copy = os.path.join(local, 'model.keras')  # Keras opens local files.
    tf.io.gfile.copy(path, copy, overwrite=True)
    return keras.saving.load_model(copy), meta
