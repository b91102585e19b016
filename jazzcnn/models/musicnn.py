"""musicnn (Pons and Serra 2019), pretrained on the Million Song Dataset.

A Keras 3 port of `MSD_musicnn` from the `musicnn` 0.1.0 wheel (ISC
licence; install with `pip install --no-deps musicnn==0.1.0`, as
scripts/setup.sh does: its own pins, numpy<1.17, cannot install beside
TensorFlow 2.20). Only the wheel's checkpoint files are read, never its
Python code. The graph: log-compressed 96-band mel power spectrogram of 3 s
(187 frames) → BatchNorm → timbral convolutions (7x38, 7x67) and temporal
ones (128x1, 64x1, 32x1), each max-pooled over frequency → three 7-frame
dense convolutions with residual connections → max and mean over time →
BatchNorm → Dense 200 (`penultimate`) → Dense 50 tags.

`tests/musicnn_oracle_test.py` checks the port against the original TF1
graph run in a `tf.compat.v1.Session`.
"""

import importlib.util
import os

import keras
from kapre import time_frequency
import tensorflow as tf
from tensorflow.python.training import py_checkpoint_reader  # pylint: disable=g-direct-tensorflow-import

from jazzcnn import layers

CHECKPOINT = 'MSD_musicnn'
SAMPLE_RATE = 16000
N_FFT, HOP, N_MELS = 512, 256, 96
PATCH_FRAMES = 187  # 3 s: musicnn's input patch.
CHUNK_SAMPLES = (PATCH_FRAMES - 1) * HOP + N_FFT  # 48128 samples → 187 frames.
TAGS = 50
TIMBRAL_FILTERS, TEMPORAL_FILTERS = int(1.6 * 128), int(1.6 * 32)  # 204, 51.
MIDEND_FILTERS, BACKEND_UNITS = 64, 200
# `pooled`: max and mean over time of the front end's two timbral and three
# temporal convolutions' features and the mid end's three.
POOLED_FEATURES = 2 * (2 * TIMBRAL_FILTERS + 3 * TEMPORAL_FILTERS +
                       3 * MIDEND_FILTERS)  # 1506.
POOLED = 'pooled'  # The layer of `pooled_features`' output.
_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization's.
_PREFIX = 'musicnn_'  # Keras layer name = _PREFIX + the checkpoint's scope.


def checkpoint_prefix(name=CHECKPOINT):
  """The checkpoint's file prefix inside the installed wheel (not imported).

  Raises:
    ValueError: when the musicnn wheel is not installed.
  """
  spec = importlib.util.find_spec('musicnn')
  if spec is None or not spec.submodule_search_locations:
    raise ValueError('the musicnn wheel is not installed: pip install '
                     '--no-deps musicnn==0.1.0 (scripts/setup.sh does)')
  prefix = os.path.join(spec.submodule_search_locations[0], name, '')
  if not os.path.exists(prefix + '.index'):
    raise ValueError(f'no checkpoint at {prefix}: reinstall musicnn==0.1.0')
  return prefix


def frontend(pcm, *, sample_rate=SAMPLE_RATE):
  """int16 [batch, samples] → log10(1 + 10^4 mel power) [batch, frames, 96, 1].

  kapre's STFT (periodic Hann, no centre padding) and Slaney mel
  filterbank, as librosa's defaults that musicnn was trained with.
  """
  if sample_rate != SAMPLE_RATE:
    raise ValueError(f'musicnn needs {SAMPLE_RATE} Hz records, got '
                     f'{sample_rate}')
  x = layers.PcmToFloat(name='pcm_to_float', dtype='float32')(pcm)
  x = time_frequency.STFT(n_fft=N_FFT, hop_length=HOP,
                          input_data_format='channels_last',
                          output_data_format='channels_last', dtype='float32',
                          name='stft')(x)
  x = time_frequency.Magnitude(name='magnitude', dtype='float32')(x)
  x = layers.Square(name='power', dtype='float32')(x)
  x = time_frequency.ApplyFilterbank(
      type='mel', filterbank_kwargs={
          'sample_rate': sample_rate, 'n_freq': N_FFT // 2 + 1,
          'n_mels': N_MELS, 'f_min': 0.0, 'f_max': sample_rate / 2,
          'htk': False, 'norm': 'slaney'},
      data_format='channels_last', dtype='float32', name='mel')(x)
  return layers.LogCompression(10000.0, name='log_compression',
                               dtype='float32')(x)


def _bn(x, scope):
  return keras.layers.BatchNormalization(epsilon=_EPSILON,
                                         name=_PREFIX + scope)(x)


def _conv(x, filters, kernel, scope, padding='valid'):
  return keras.layers.Conv2D(filters, kernel, padding=padding,
                             activation='relu', name=_PREFIX + scope)(x)


def _max_over_frequency(x, name):
  """[batch, time, freq, ch] → [batch, time, ch]."""
  return layers.Reduce('max', 2, name=name)(x)


def network(spectrogram, *, dropout=0.5):
  """musicnn from its spectrogram [batch, 187, 96, 1] to its outputs.

  Layer names are the checkpoint's scopes (with a `musicnn_` prefix), so
  `load_pretrained` maps variables by name.

  Returns:
    {'logits': [batch, 50], 'penultimate': [batch, 200],
     'pooled': [batch, 1506] (max and mean over time, interleaved per
     feature as the original flattens them)}.
  """
  pooled = pooled_features(spectrogram)
  x = _bn(pooled, 'batch_normalization_9')
  x = keras.layers.Dropout(dropout, name='musicnn_dropout')(x)
  x = keras.layers.Dense(BACKEND_UNITS, activation='relu',
                         name=_PREFIX + 'dense')(x)
  penultimate = _bn(x, 'batch_normalization_10')
  x = keras.layers.Dropout(dropout, name='musicnn_penultimate_dropout')(
      penultimate)
  logits = keras.layers.Dense(TAGS, name=_PREFIX + 'dense_1')(x)
  return {'logits': logits, 'penultimate': penultimate, 'pooled': pooled}


def pooled_features(spectrogram):
  """The front and mid end: [batch, 187, 96, 1] → `pooled` [batch, 1506]."""
  x = _bn(spectrogram, 'batch_normalization')
  padded = keras.layers.ZeroPadding2D(((3, 3), (0, 0)), name='timbral_pad')(x)
  front = []
  for i, width in enumerate((int(0.4 * N_MELS), int(0.7 * N_MELS))):
    y = _conv(padded, TIMBRAL_FILTERS, (7, width), f'conv2d{"_1" * i}')
    y = _bn(y, f'batch_normalization_{i + 1}')
    front.append(_max_over_frequency(y, f'timbral_{i}_pool'))
  for i, length in enumerate((128, 64, 32)):
    y = _conv(x, TEMPORAL_FILTERS, (length, 1), f'conv2d_{i + 2}',
              padding='same')
    y = _bn(y, f'batch_normalization_{i + 3}')
    front.append(_max_over_frequency(y, f'temporal_{i}_pool'))
  front = keras.layers.Concatenate(axis=2, name='frontend_features')(front)
  front = keras.layers.Reshape((-1, front.shape[2], 1), name='midend_in')(front)
  mid = [front]
  previous = front
  for i in range(3):
    y = keras.layers.ZeroPadding2D(((3, 3), (0, 0)),
                                   name=f'midend_{i}_pad')(previous)
    y = _conv(y, MIDEND_FILTERS, (7, y.shape[2]), f'conv2d_{i + 5}')
    y = _bn(y, f'batch_normalization_{i + 6}')
    y = keras.layers.Permute((1, 3, 2), name=f'midend_{i}_transpose')(y)
    if i:
      y = keras.layers.Add(name=f'midend_{i}_residual')([y, previous])
    mid.append(y)
    previous = y
  x = keras.layers.Concatenate(axis=2, name='midend_features')(mid)
  x = keras.layers.Reshape((-1, x.shape[2]), name='midend_squeeze')(x)
  max_pool = layers.Reduce('max', 1, name='max_pool')(x)
  mean_pool = layers.Reduce('mean', 1, name='mean_pool')(x)
  return layers.Interleave(name=POOLED)([max_pool, mean_pool])


# The back end: what `--freeze` still trains (the dense layers after pooling).
BACK_END = ('batch_normalization_9', 'dense', 'batch_normalization_10')


# The mid end's convolutions: what `--train_mid_end` leaves trainable.
MID_END_CONVS = ('conv2d_5', 'conv2d_6', 'conv2d_7')


def is_front_or_mid_end(layer_name):
  """True for the pretrained convolutional layers (and their BatchNorms)."""
  return (layer_name.startswith(_PREFIX)
          and layer_name[len(_PREFIX):] not in BACK_END)


def is_fixed_under_mid_end_training(layer_name):
  """Front end, and every BatchNorm before pooling (kept in inference mode).

  The mid end's three 7-frame convolutions train; its BatchNorms keep
  their pretrained statistics, as fine-tuning under small batches should.
  """
  return (is_front_or_mid_end(layer_name)
          and layer_name[len(_PREFIX):] not in MID_END_CONVS)


def load_pretrained(model, prefix=None):
  """Sets every `musicnn_*` layer of `model` from the checkpoint, by name.

  Returns:
    The number of layers set.

  Raises:
    ValueError: when a layer has no variables in the checkpoint.
  """
  reader = py_checkpoint_reader.NewCheckpointReader(prefix or
                                                    checkpoint_prefix())
  names = {'Conv2D': ('kernel', 'bias'), 'Dense': ('kernel', 'bias'),
           'BatchNormalization': ('gamma', 'beta', 'moving_mean',
                                  'moving_variance')}
  count = 0
  for layer in model.layers:
    kind = type(layer).__name__
    if not layer.name.startswith(_PREFIX) or kind not in names:
      continue
    scope = layer.name[len(_PREFIX):]
    try:
      values = [reader.get_tensor(f'{scope}/{v}') for v in names[kind]]
    except tf.errors.NotFoundError as e:
      raise ValueError(f'checkpoint has no {scope}: {e.message}') from e
    layer.set_weights(values)
    count += 1
  return count


def _spectrogram(pcm, sample_rate, width, depth, spec_mask):
  if width != 1.0 or depth:
    raise ValueError('musicnn_msd is pretrained: --width must be 1 and '
                     '--depth 0')
  x = frontend(pcm, sample_rate=sample_rate)
  if spec_mask:  # SpecMask masks axis 1 by max_freq: here that is time.
    x = layers.SpecMask(max_freq=24, max_time=12, name='spec_mask',
                        dtype='float32')(x)
  return x


def musicnn_msd(pcm, *, sample_rate, width=1.0, depth=0, dropout=0.5,
                spec_mask=False, embedding_name='embedding'):
  """The pretrained network from an int16 3 s chunk to its `penultimate`.

  The weights are loaded by `models.build_model` (`load_pretrained`) once
  the model exists. width and depth must be the published ones (1, 0).
  """
  x = _spectrogram(pcm, sample_rate, width, depth, spec_mask)
  out = network(x, dropout=dropout)
  return keras.layers.Identity(name=embedding_name)(out['penultimate'])


def musicnn_msd_stats(pcm, *, sample_rate, chunks, width=1.0, depth=0,
                      dropout=0.5, spec_mask=False,
                      embedding_name='embedding'):
  """Pretrained front and mid end per 3 s chunk, statistics over a window.

  pcm holds `chunks` rows per window (`layers.Crops(every_chunk=True)`).
  Each chunk's `pooled` features (1506) are pooled over the window into
  their mean and standard deviation (`layers.CropStats`), and a new back
  end of musicnn's shape (BatchNorm → Dense 200 → BatchNorm) learns from
  the 3012. Its layers have no `musicnn_` prefix: they start from random
  weights and `--freeze` leaves them trainable.
  """
  x = _spectrogram(pcm, sample_rate, width, depth, spec_mask)
  x = layers.CropStats(chunks, name='chunk_stats')(pooled_features(x))
  # Momentum 0.9, not Keras' 0.99: a few hundred steps on a few hundred
  # windows must be enough for the moving statistics used at inference.
  x = keras.layers.BatchNormalization(epsilon=_EPSILON, momentum=0.9,
                                      name='stats_batch_normalization')(x)
  x = keras.layers.Dropout(dropout, name='stats_dropout')(x)
  x = keras.layers.Dense(BACKEND_UNITS, activation='relu',
                         name='stats_dense')(x)
  x = keras.layers.BatchNormalization(epsilon=_EPSILON, momentum=0.9,
                                      name='stats_penultimate')(x)
  return keras.layers.Identity(name=embedding_name)(x)
