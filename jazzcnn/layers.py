"""Custom Keras layers of the model; importing `jazzcnn` registers them."""

import keras
import tensorflow as tf


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
  accelerator and under XLA.
  """

  def __init__(self, max_freq=16, max_time=64, masks=2, **kwargs):
    super().__init__(**kwargs)
    self.max_freq, self.max_time, self.masks = max_freq, max_time, masks

  def call(self, x, training=None):
    if not training:
      return x
    batch = tf.shape(x)[0]
    keep = tf.ones_like(x, dtype=tf.bool)
    for axis, widest in ((1, self.max_freq), (2, self.max_time)):
      size = tf.shape(x)[axis]
      positions = tf.range(size)
      for _ in range(self.masks):
        width = tf.random.uniform([batch], 0, widest + 1, dtype=tf.int32)
        start = tf.random.uniform([batch], 0, tf.int32.max,
                                  dtype=tf.int32) % tf.maximum(
                                      size - width, 1)
        hit = ((positions[None, :] >= start[:, None])
               & (positions[None, :] < (start + width)[:, None]))
        shape = [batch, 1, 1, 1]
        shape[axis] = size
        keep &= ~tf.reshape(hit, shape)
    return tf.where(keep, x, tf.zeros_like(x))

  def get_config(self):
    return dict(super().get_config(), max_freq=self.max_freq,
                max_time=self.max_time, masks=self.masks)
