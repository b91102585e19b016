"""Short-chunk CNN with residual connections (Won et al. 2020).

"Evaluation of CNN-based automatic music tagging models" (SMC 2020) found
this the best simple model of their comparison: 7 residual blocks of 3x3
convolutions with BatchNorm that halve both axes (stride 2, as in the
reference implementation, minzwon/sota-music-tagging-models
`training/modules.py::Res_2d`), global max pooling, Dense → BatchNorm → ReLU.
It trains on ~3.7 s chunks (59049 samples at 16 kHz); `models.build_model`
crops them from each 15 s window on the device and averages a window's
chunks at inference.
"""

import keras

from jazzcnn.models import frontends

CHUNK_SAMPLES = 59049  # The paper's chunk: 3^10 samples, ~3.69 s at 16 kHz.
# Output channels of the blocks, in units of the first block's (128 at
# width 1, the paper's n_channels).
CHANNELS = (1, 1, 2, 2, 2, 2, 4)


def residual_block(x, filters, name):
  """Conv-BN-ReLU-Conv-BN plus a strided Conv-BN shortcut, then ReLU."""
  y = keras.layers.Conv2D(filters, 3, strides=2, padding='same',
                          use_bias=False, name=f'{name}_conv1')(x)
  y = keras.layers.BatchNormalization(momentum=frontends.BN_MOMENTUM, name=f'{name}_bn1')(y)
  y = keras.layers.ReLU(name=f'{name}_relu1')(y)
  y = keras.layers.Conv2D(filters, 3, padding='same', use_bias=False,
                          name=f'{name}_conv2')(y)
  y = keras.layers.BatchNormalization(momentum=frontends.BN_MOMENTUM, name=f'{name}_bn2')(y)
  shortcut = keras.layers.Conv2D(filters, 3, strides=2, padding='same',
                                 use_bias=False, name=f'{name}_shortcut')(x)
  shortcut = keras.layers.BatchNormalization(momentum=frontends.BN_MOMENTUM, name=f'{name}_shortcut_bn')(
      shortcut)
  x = keras.layers.Add(name=f'{name}_add')([y, shortcut])
  return keras.layers.ReLU(name=f'{name}_relu2')(x)


def shortres(pcm, *, sample_rate, width=1.0, depth=7, dropout=0.5,
             spec_mask=False, embedding_name='embedding'):
  """The short-chunk ResNet from an int16 chunk to its embedding.

  Args:
    pcm: int16 Keras tensor [batch, samples] (a chunk).
    sample_rate: in Hz.
    width: the first block has round(128 * width) channels (at least 8).
    depth: residual blocks, 1-7 (each halves the mel and time axes).
    dropout: unused here (the head's dropout follows the embedding).
    spec_mask: SpecAugment-style masking (training only).
    embedding_name: name of the embedding layer.

  Returns:
    The embedding tensor [batch, 128 * width * CHANNELS[depth - 1]].
  """
  del dropout  # The only dropout is the head's, after the embedding.
  if not 1 <= depth <= len(CHANNELS):
    raise ValueError(f'depth of shortres must be 1-{len(CHANNELS)}, got '
                     f'{depth}')
  base = max(8, int(round(128 * width)))
  x = frontends.log_melspectrogram(pcm, sample_rate=sample_rate,
                                   normalize='batch', spec_mask=spec_mask)
  for i, multiple in enumerate(CHANNELS[:depth], start=1):
    x = residual_block(x, base * multiple, f'block{i}')
  x = keras.layers.GlobalMaxPooling2D(name='global_pool')(x)
  units = base * CHANNELS[depth - 1]
  x = keras.layers.Dense(units, use_bias=False, name=f'{embedding_name}_dense')(x)
  x = keras.layers.BatchNormalization(momentum=frontends.BN_MOMENTUM, name=f'{embedding_name}_bn')(x)
  return keras.layers.ReLU(name=embedding_name)(x)
