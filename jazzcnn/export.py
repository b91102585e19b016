"""The exported model: what training leaves for evaluate, predict, embed, plot."""

import json
import os
import posixpath
import tempfile

import keras
import tensorflow as tf

from jazzcnn import dataset_info
from jazzcnn import outputs

EXPORT_DIR = 'export'


def export(model, model_dir, info, **extra):
  """Writes export/model.keras, export/saved_model and export/eras.json.

  Args:
    model: the trained Keras model.
    model_dir: the training run's directory (local or gs://).
    info: the records' dataset_info.json dict.
    **extra: more JSON-ready entries for eras.json (e.g. the architecture).
  """
  out = posixpath.join(model_dir, EXPORT_DIR)
  tf.io.gfile.makedirs(out)
  model.save(posixpath.join(out, 'model.keras'))
  model.export(posixpath.join(out, 'saved_model'), verbose=False)
  meta = dict(dataset_info.model_keys(info), **extra)
  outputs.write_json(posixpath.join(out, 'eras.json'), meta)


def load_exported(model_dir):
  """(model, eras.json dict) from a model dir written by training.

  Raises:
    ValueError: when model_dir holds no exported model.
  """
  out = posixpath.join(model_dir, EXPORT_DIR)
  path = posixpath.join(out, 'model.keras')
  if not tf.io.gfile.exists(path):
    raise ValueError(f'{path} not found: train a model into {model_dir} first')
  import jazzcnn  # pylint: disable=g-import-not-at-top,unused-import
  local = path
  if '://' in path:  # Keras opens local files only.
    local = os.path.join(tempfile.mkdtemp(prefix='jazzcnn_'), 'model.keras')
    tf.io.gfile.copy(path, local, overwrite=True)
  model = keras.saving.load_model(local)
  with tf.io.gfile.GFile(posixpath.join(out, 'eras.json')) as f:
    return model, json.load(f)
