"""Fixed per-window features that heads are fitted on (`baselines`, `probe`).

No weight of these models trains:

- `mel_stats`: each log-mel band's mean and standard deviation over the
  window (128 + 128 features, the trained models' own front end).
- `musicnn_stats`: the mean and standard deviation (1506 + 1506) over the
  window's 3 s patches of the pooled features of musicnn pretrained on the
  Million Song Dataset.
- `musicnn_mtt_stats`: the same from the musicnn wheel's other checkpoint,
  pretrained on MagnaTagATune.

`split` computes a split's features once per records directory and caches
them beside it, in `baselines-HASH/FEATURES-FINGERPRINT-SPLIT.npz` (HASH:
of dataset_info.json, so a rebuild invalidates it, and the first write
after one removes the earlier builds' caches; FINGERPRINT: of the
feature model, see `fingerprint`, so a change to its code or weights
does), and, given a `memos` dict kept over several directories (`probe`
over a corpus's folds), once per window: the folds hold the same windows.
"""

import ast
import functools
import glob
import hashlib
import inspect
import io
import logging
import platform
import posixpath
import re
import sys

import kapre
import keras
import numpy as np
import tensorflow as tf

from jazzcnn import dataset_info
from jazzcnn import evaluate_lib
from jazzcnn import globs
from jazzcnn import layers
from jazzcnn import outputs
from jazzcnn.models import frontends
from jazzcnn.models import musicnn


def cache_dir(data_dir):
  """`data_dir/baselines-HASH`, HASH of dataset_info.json's content."""
  with tf.io.gfile.GFile(dataset_info.path(data_dir),
                         'rb') as f:
    digest = hashlib.sha256(f.read()).hexdigest()[:12]
  return posixpath.join(data_dir, f'baselines-{digest}')


@functools.lru_cache(maxsize=4)
def mel_stats_model(window_samples, sample_rate):
  """int16 windows → [batch, 256]: each mel band's dB mean and std over time."""
  pcm = keras.Input((window_samples,), dtype='int16', name='waveform')
  x = frontends.log_melspectrogram(pcm, sample_rate=sample_rate,
                                   normalize=None)  # [batch, mels, frames, 1]
  x = keras.layers.Reshape((-1, x.shape[2]))(x)
  mean = keras.ops.mean(x, axis=2)
  std = keras.ops.std(x, axis=2)
  return keras.Model(pcm, keras.ops.concatenate([mean, std], axis=1),
                     name='mel_stats')


@functools.lru_cache(maxsize=4)
def musicnn_model(window_samples, sample_rate, checkpoint=musicnn.CHECKPOINT):
  """int16 windows → [batch, 3012]: the mean, then the standard deviation,
  of musicnn's pooled features over the window's 3 s patches
  (`layers.CropStats`), with the weights of `checkpoint` (a directory of
  the musicnn wheel: MSD_musicnn or MTT_musicnn)."""
  pcm = keras.Input((window_samples,), dtype='int16', name='waveform')
  chunk = musicnn.CHUNK_SAMPLES
  chunked = chunk < window_samples  # Shorter windows: one short patch.
  crops = layers.Crops(window_samples, chunk, name='chunks') if chunked else None
  x = crops(pcm) if chunked else pcm
  pooled = musicnn.pooled_features(musicnn.frontend(x,
                                                    sample_rate=sample_rate))
  pooled = layers.CropStats(crops.count if chunked else 1,
                            name='pooled_stats')(pooled)
  model = keras.Model(pcm, pooled, name=f'{checkpoint}_features')
  musicnn.load_pretrained(model, musicnn.checkpoint_prefix(checkpoint))
  return model


# Feature models, by the name of their cache files.
FEATURES = {'mel_stats': mel_stats_model,
            'musicnn_stats': functools.partial(musicnn_model,
                                               checkpoint=musicnn.CHECKPOINT),
            'musicnn_mtt_stats': functools.partial(musicnn_model,
                                                   checkpoint='MTT_musicnn')}
# The code that feature values depend on, besides this module: modules,
# and of evaluate_lib only the functions that run a model over records.
_CODE = (frontends, musicnn, layers, *evaluate_lib.PREDICTION_CODE)


def _syntax(code):
  """The syntax tree of a module or function without docstrings: comments
  and docstrings can change without changing a fingerprint."""
  tree = ast.parse(inspect.getsource(code))
  for node in ast.walk(tree):
    body = getattr(node, 'body', None)
    if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)):
      node.body = body[1:] or [ast.Pass()]
  return ast.dump(tree)


@functools.lru_cache(maxsize=None)
def fingerprint(features):
  """12 hex digits that change with anything a feature's values depend on.

  Hashes the syntax (docstrings and comments aside) of the modules and
  functions that build and run the feature models (`_CODE` and this
  module), the versions of Python, TensorFlow, Keras and kapre, and the
  files of the checkpoint the model's weights are loaded from. So a cache
  written before a fix to the musicnn port, or under another TensorFlow,
  is not read back.
  """
  digest = hashlib.sha256(features.encode())
  for code in (sys.modules[__name__], *_CODE):
    digest.update(_syntax(code).encode())
  for version in (platform.python_version(), tf.__version__, keras.__version__,
                  kapre.__version__):
    digest.update(version.encode())
  checkpoint = getattr(FEATURES[features], 'keywords', {}).get('checkpoint')
  if checkpoint:
    prefix = musicnn.checkpoint_prefix(checkpoint)
    for path in sorted(glob.glob(globs.escape(prefix) + '.index') +
                       glob.glob(globs.escape(prefix) + '.data-*')):
      with open(path, 'rb') as f:
        digest.update(f.read())
  return digest.hexdigest()[:12]


def split(data_dir, info, split_name, features, *, batch_size=32,
          memos=None):
  """(features [N, D], labels [N], tape ids [N]) of a split, cached.

  Args:
    data_dir: the records.
    info: their dataset_info.json.
    split_name: 'train', 'validation' or 'test'.
    features: a key of FEATURES.
    batch_size: windows per batch.
    memos: None, or a dict kept over calls (over the folds of a corpus):
      each feature model's `evaluate_lib.predict_split` memo, under its
      FEATURES name and sample rate, so a window seen in any earlier
      directory is not run through the model again.

  Computed by `evaluate_lib.predict_split` with the feature model, so the
  order is the model's own evaluation order. Where the cache cannot be
  written (read-only records), the features are returned uncached, with
  one warning per directory.
  """
  path = posixpath.join(cache_dir(data_dir),
                        f'{features}-{fingerprint(features)}-{split_name}.npz')
  if tf.io.gfile.exists(path):
    with tf.io.gfile.GFile(path, 'rb') as f:
      cached = np.load(io.BytesIO(f.read()))
      return cached['x'], cached['y'], cached['tapes']
  memo = (None if memos is None else
          memos.setdefault((features, info['sample_rate']), {}))
  x, y, tapes = evaluate_lib.predict_split(
      FEATURES[features](info['window_samples'], info['sample_rate']),
      data_dir, info, split_name, batch_size=batch_size, memo=memo)
  buffer = io.BytesIO()
  np.savez(buffer, x=x, y=y, tapes=tapes)
  try:
    tf.io.gfile.makedirs(posixpath.dirname(path))
    outputs.write(path, buffer.getvalue())
  except (tf.errors.OpError, OSError) as e:  # Read-only records, a full disk.
    if data_dir not in _UNCACHED:
      _UNCACHED.add(data_dir)
      logging.warning('features of %s are not cached (%s): they are '
                      'computed again on every run', data_dir,
                      str(e).splitlines()[0])
    return x, y, tapes
  _remove_stale(path, features, split_name)
  _remove_other_builds(data_dir)
  return x, y, tapes


# Records directories whose cache could not be written (warned once each).
_UNCACHED = set()


def _remove_other_builds(data_dir):
  """Removes the caches of earlier builds of `data_dir` (other HASHes):
  the records they were computed from are gone."""
  current = cache_dir(data_dir)
  for other in tf.io.gfile.glob(globs.inside(data_dir, 'baselines-*')):
    if other.rstrip('/') != current and tf.io.gfile.isdir(other):
      logging.info('removing the features of an earlier build: %s', other)
      try:
        tf.io.gfile.rmtree(other)
      except tf.errors.NotFoundError:  # Another run removed it first.
        pass


def _remove_stale(path, features, split_name):
  """Removes the split's features cached under other fingerprints (or none,
  as before fingerprints): they are never read again."""
  stale = re.compile(
      rf'{re.escape(features)}(-[0-9a-f]{{12}})?-{re.escape(split_name)}\.npz')
  directory = posixpath.dirname(path)
  for name in tf.io.gfile.listdir(directory):
    if stale.fullmatch(name) and name != posixpath.basename(path):
      logging.info('removing features cached by other code: %s', name)
      try:
        tf.io.gfile.remove(posixpath.join(directory, name))
      except tf.errors.NotFoundError:  # Another run removed it first.
        pass
