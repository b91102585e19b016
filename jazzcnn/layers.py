"""Custom Keras layers of the model; importing `jazzcnn` registers them.

`Reduce` and `Interleave`, which musicnn's network uses, are written on
keras.ops, so `tools/accelerator_train.py` loads this file on a backend
without TensorFlow (JAX) and builds the same network. The rest are written
on TensorFlow ops: `Crops` and `SpecMask` draw from TensorFlow's random
streams, which every published figure of theirs was trained with.
"""

import random

import keras
import tensorflow as tf


def _op_seed():
  """An op-level seed for a layer's random ops, drawn when it is made.

  From Python's `random`, which `keras.utils.set_random_seed` seeds. Left
  unset, TensorFlow derives a random op's seed from the number of ops its
  graph held before it, which moves with anything that changes how the
  graph is built, Python's per-process hash randomisation included: the
  same seed then trained different weights from run to run. Under
  `mirrored`, every replica draws the same stream (for other windows).
  """
  return random.randrange(2**30)


@keras.saving.register_keras_serializable(package='jazzcnn')
class PcmToFloat(keras.layers.Layer):
  """int16 PCM [batch, samples] → float32 in [-1, 1) [batch, samples, 1].

  Runs inside the model so that the host ships int16 (half the bytes) and
  the cast happens on the accelerator.
  """

  def call(self, pcm):
    return tf.expand_dims(tf.cast(pcm, tf.float32) / 32768.0, -1)

  def compute_output_shape(self, input_shape):
    return (*input_shape, 1)


@keras.saving.register_keras_serializable(package='jazzcnn')
class SpecMask(keras.layers.Layer):
  """SpecAugment-style masking on [batch, freq, time, 1], in training only.

  Each example gets `masks` frequency bands of up to `max_freq` bins and
  `masks` time spans of up to `max_time` frames set to 0 (the mean after
  per-example normalisation). Vectorised over the batch, so it runs on the
  accelerator and under XLA. Not kapre's `augmentation.SpecAugment`: that
  one draws from unseeded random ops (the same --seed would train other
  weights: BENCHMARKS.md, "Repeatable runs") through a `tf.map_fn` over the
  examples and another over the masks.
  """

  def __init__(self, max_freq=16, max_time=64, masks=2, **kwargs):
    super().__init__(**kwargs)
    self.max_freq, self.max_time, self.masks = max_freq, max_time, masks
    self._seed = _op_seed()

  def call(self, x, training=None):
    if not training:
      return x
    batch = tf.shape(x)[0]
    keep = tf.ones_like(x, dtype=tf.bool)
    seed = self._seed
    for axis, widest in ((1, self.max_freq), (2, self.max_time)):
      size = tf.shape(x)[axis]
      positions = tf.range(size)
      for _ in range(self.masks):
        width = tf.random.uniform([batch], 0, widest + 1, dtype=tf.int32,
                                  seed=seed)
        start = tf.random.uniform([batch], 0, tf.int32.max, dtype=tf.int32,
                                  seed=seed + 1) % tf.maximum(size - width, 1)
        seed += 2
        hit = ((positions[None, :] >= start[:, None])
               & (positions[None, :] < (start + width)[:, None]))
        shape = [batch, 1, 1, 1]
        shape[axis] = size
        keep &= ~tf.reshape(hit, shape)
    return tf.where(keep, x, tf.zeros_like(x))

  def get_config(self):
    return dict(super().get_config(), max_freq=self.max_freq,
                max_time=self.max_time, masks=self.masks)


@keras.saving.register_keras_serializable(package='jazzcnn')
class Crops(keras.layers.Layer):
  """Chunks of a window: one random chunk per window in training, else all.

  [batch, window] → [batch, chunk] in training (a uniform random start per
  window, so every epoch sees other chunks), and [batch * n, chunk] at
  inference: n = ceil(window / chunk) chunks evenly spaced from the first
  sample to the last, covering the whole window. `CropMean` folds the n
  back into one row per window. With `every_chunk`, training also gives n
  chunks per window, each at its own uniform random start ([batch * n,
  chunk]), for layers that pool over a window's chunks (`CropStats`).
  """

  def __init__(self, window, chunk, every_chunk=False, **kwargs):
    super().__init__(**kwargs)
    if not 0 < chunk < window:
      raise ValueError(f'chunk must be in (0, {window}), got {chunk}')
    self.window, self.chunk = window, chunk
    self.count = -(-window // chunk)
    self.every_chunk = every_chunk
    self._seed = _op_seed()

  def call(self, pcm, training=None):
    if training:
      rows = self.count if self.every_chunk else 1
      pcm = tf.repeat(pcm, rows, axis=0) if rows > 1 else pcm
      start = tf.random.uniform([tf.shape(pcm)[0], 1], 0,
                                self.window - self.chunk + 1, dtype=tf.int32,
                                seed=self._seed)
      return tf.gather(pcm, start + tf.range(self.chunk)[None], batch_dims=1)
    starts = [round(i * (self.window - self.chunk) / max(1, self.count - 1))
              for i in range(self.count)]
    chunks = tf.stack([pcm[:, s:s + self.chunk] for s in starts], axis=1)
    return tf.reshape(chunks, [-1, self.chunk])

  def compute_output_shape(self, input_shape):
    return (input_shape[0], self.chunk)

  def get_config(self):
    return dict(super().get_config(), window=self.window, chunk=self.chunk,
                every_chunk=self.every_chunk)


@keras.saving.register_keras_serializable(package='jazzcnn')
class CropMean(keras.layers.Layer):
  """Averages the rows of each window's chunks at inference (see `Crops`)."""

  def __init__(self, count, **kwargs):
    super().__init__(**kwargs)
    self.count = count

  def call(self, x, training=None):
    if training:
      return x
    return tf.reduce_mean(
        tf.reshape(x, tf.concat([[-1, self.count], tf.shape(x)[1:]], 0)),
        axis=1)

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return dict(super().get_config(), count=self.count)


@keras.saving.register_keras_serializable(package='jazzcnn')
class CropStats(keras.layers.Layer):
  """Each window's chunk rows → their mean and standard deviation.

  [batch * count, D] → [batch, 2D] (means, then standard deviations), in
  training and at inference alike (`Crops(every_chunk=True)` gives `count`
  rows per window in both): statistics pooling, as x-vectors pool frames.
  The spread says how a window's texture changes over its 15 s, which a
  mean of chunks cannot.
  """

  def __init__(self, count, **kwargs):
    super().__init__(**kwargs)
    self.count = count

  def call(self, x):
    rows = tf.reshape(x, [-1, self.count, x.shape[-1]])
    return tf.concat([tf.reduce_mean(rows, axis=1),
                      tf.math.reduce_std(rows, axis=1)], axis=1)

  def compute_output_shape(self, input_shape):
    return (None, 2 * input_shape[-1])

  def get_config(self):
    return dict(super().get_config(), count=self.count)


@keras.saving.register_keras_serializable(package='jazzcnn')
class Square(keras.layers.Layer):
  """x² (a magnitude spectrogram to a power spectrogram)."""

  def call(self, x):
    return tf.square(x)


@keras.saving.register_keras_serializable(package='jazzcnn')
class LogCompression(keras.layers.Layer):
  """log10(1 + scale * x): musicnn's compression of a mel power spectrogram."""

  def __init__(self, scale=10000.0, **kwargs):
    super().__init__(**kwargs)
    self.scale = scale

  def call(self, x):
    return tf.math.log(1.0 + self.scale * x) / tf.math.log(10.0)

  def get_config(self):
    return dict(super().get_config(), scale=self.scale)


@keras.saving.register_keras_serializable(package='jazzcnn')
class Reduce(keras.layers.Layer):
  """max or mean over one axis (a Lambda would not load in Keras' safe mode)."""

  def __init__(self, op, axis, **kwargs):
    super().__init__(**kwargs)
    if op not in ('max', 'mean'):
      raise ValueError(f"op must be 'max' or 'mean', got {op!r}")
    self.op, self.axis = op, axis

  def call(self, x):
    return (keras.ops.max if self.op == 'max' else keras.ops.mean)(
        x, axis=self.axis)

  def compute_output_shape(self, input_shape):
    shape = list(input_shape)
    del shape[self.axis]
    return tuple(shape)

  def get_config(self):
    return dict(super().get_config(), op=self.op, axis=self.axis)


@keras.saving.register_keras_serializable(package='jazzcnn')
class Interleave(keras.layers.Layer):
  """[a, b] of [batch, n] → [batch, 2n] as a0, b0, a1, b1, ... (musicnn's
  flattened [max, mean] pooling)."""

  def call(self, inputs):
    a, b = inputs
    return keras.ops.reshape(keras.ops.stack([a, b], axis=2),
                             (-1, 2 * a.shape[1]))

  def compute_output_shape(self, input_shapes):
    return (input_shapes[0][0], 2 * input_shapes[0][1])
