"""The era classifier: melspectrogram front end (kapre) and the seed's CNN."""

import functools

import keras
from kapre import composed
import tensorflow as tf

from jazzcnn import layers

# The seed's table: filters of the four conv blocks, then the dense stack.
CONV_FILTERS = (32, 64, 128, 256)
DENSE_UNITS = (32, 512, 512, 512)


def build_model(num_classes, window_samples, *, sample_rate=16000, n_fft=512,
                hop_length=256, n_mels=128, width=1.0, dropout=0.25,
                spec_mask=False, name='jazzcnn'):
  """Builds the classifier for int16 waveforms of `window_samples`.

  The melspectrogram (kapre; 512-point FFT, hop 256, 128 mels, in dB) and a
  per-example normalisation run inside the model, so on the accelerator. The
  front end trains nothing: kapre 0.4's STFT and mel filterbank are fixed.

  Args:
    num_classes: eras to tell apart.
    window_samples: waveform length; 240000 gives 128 mels x 938 frames.
    sample_rate: of the waveform, in Hz.
    n_fft: FFT size.
    hop_length: STFT hop in samples.
    n_mels: mel bins.
    width: multiplies every conv and dense width; 1.0 is the seed model,
      smaller values are for smoke tests only.
    dropout: rate of every Dropout layer.
    spec_mask: add SpecAugment-style masking (training only).
    name: the model's name.

  Returns:
    An uncompiled `keras.Model` from int16 [batch, window_samples] to era
    probabilities (float32, also under a mixed-precision policy).
  """
  scale = lambda n: max(1, int(round(n * width)))
  pcm = keras.Input((window_samples,), dtype='int16', name='waveform')
  x = layers.PcmToFloat(name='pcm_to_float', dtype='float32')(pcm)
  melspec = composed.get_melspectrogram_layer(
      n_fft=n_fft, hop_length=hop_length, sample_rate=sample_rate,
      n_mels=n_mels, pad_end=True, return_decibel=True,
      input_data_format='channels_last', output_data_format='channels_last')
  for layer in melspec.layers:  # An STFT in float16 loses the quiet parts.
    layer.dtype_policy = keras.DTypePolicy('float32')
  x = melspec(x)  # [batch, time, mels, 1]
  x = keras.layers.Permute((2, 1, 3), name='mels_by_frames')(x)
  # Per-example normalisation with no weights.
  x = keras.layers.LayerNormalization(axis=(1, 2, 3), center=False,
                                      scale=False, dtype='float32',
                                      name='normalize')(x)
  if spec_mask:
    x = layers.SpecMask(name='spec_mask', dtype='float32')(x)
  for block, filters in enumerate(CONV_FILTERS, start=1):
    for padding in ('same', 'valid'):
      x = keras.layers.Conv2D(scale(filters), 3, padding=padding,
                              activation='relu',
                              name=f'conv{block}_{padding}')(x)
    x = keras.layers.MaxPooling2D(2, name=f'pool{block}')(x)
    x = keras.layers.Dropout(dropout, name=f'dropout{block}')(x)
  x = keras.layers.Flatten(name='flatten')(x)
  for i, units in enumerate(DENSE_UNITS, start=1):
    x = keras.layers.Dense(scale(units), activation='relu',
                           name=f'dense{i}')(x)
    x = keras.layers.Dropout(dropout, name=f'dense{i}_dropout')(x)
  probs = keras.layers.Dense(num_classes, activation='softmax',
                             dtype='float32', name='era')(x)
  return keras.Model(pcm, probs, name=name)


@functools.lru_cache(maxsize=4)
def inference_fn(model):
  """model(x, training=False) as one tf.function for every batch size.

  A file's or a split's last batch is short; `predict_on_batch` would trace
  again for it (and TensorFlow warns about retracing).
  """
  spec = tf.TensorSpec([None, model.inputs[0].shape[-1]], tf.int16)
  return tf.function(lambda x: model(x, training=False), input_signature=[spec])


def embedding_model(model):
  """The model up to its penultimate layer: per-window style embeddings."""
  return keras.Model(model.input, model.get_layer('dense4').output,
                     name=f'{model.name}_embedding')
