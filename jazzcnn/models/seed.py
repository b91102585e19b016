"""The seed's CNN, exactly, and `seed_bn`: its conv stack with BatchNorm.

The seed (four blocks of Conv 3x3 same + Conv 3x3 valid, max-pool, dropout,
then Flatten → Dense 32 → 3 x Dense 512) has no normalisation and a 32-unit
bottleneck after an 86016-wide Flatten: on real music it collapses to one
class. `seed_bn` keeps the conv stack, adds BatchNorm after every conv and
replaces the head with global average pooling → Dense 64, which cannot.

Each function maps the int16 waveform to the embedding (the layer before the
era softmax, named `embedding_name`); `models.build_model` adds the head.
"""

import keras

from jazzcnn.models import frontends

# The seed's table: filters of the four conv blocks, then the dense stack.
CONV_FILTERS = (32, 64, 128, 256)
DENSE_UNITS = (32, 512, 512, 512)


def scaler(width, floor):
  """n → round(n * width), never below min(n, floor) units."""
  return lambda n: max(min(n, floor), int(round(n * width)))


def seed(pcm, *, sample_rate, width=1.0, depth=4, dropout=0.25,
         spec_mask=False, embedding_name='embedding'):
  """The seed's table (4,468,484 parameters at width 1, depth 4, 4 eras).

  Args:
    pcm: int16 Keras tensor [batch, samples].
    sample_rate: in Hz.
    width: multiplies every conv width and the 512-unit dense layers; dense
      layers never go below 32 units, so the bottleneck stays the seed's.
    depth: conv blocks, 1-4.
    dropout: rate of every Dropout layer.
    spec_mask: SpecAugment-style masking (training only).
    embedding_name: name of the last dense layer.

  Returns:
    The embedding tensor [batch, 512 * width].
  """
  x = frontends.log_melspectrogram(pcm, sample_rate=sample_rate,
                                   normalize='example', spec_mask=spec_mask)
  conv, dense = scaler(width, 4), scaler(width, 32)
  for block, filters in enumerate(CONV_FILTERS[:_check_depth(depth)], start=1):
    for padding in ('same', 'valid'):
      x = keras.layers.Conv2D(conv(filters), 3, padding=padding,
                              activation='relu',
                              name=f'conv{block}_{padding}')(x)
    x = keras.layers.MaxPooling2D(2, name=f'pool{block}')(x)
    x = keras.layers.Dropout(dropout, name=f'dropout{block}')(x)
  x = keras.layers.Flatten(name='flatten')(x)
  for i, units in enumerate(DENSE_UNITS[:-1], start=1):
    x = keras.layers.Dense(dense(units), activation='relu',
                           name=f'dense{i}')(x)
    x = keras.layers.Dropout(dropout, name=f'dense{i}_dropout')(x)
  return keras.layers.Dense(dense(DENSE_UNITS[-1]), activation='relu',
                            name=embedding_name)(x)


def seed_bn(pcm, *, sample_rate, width=1.0, depth=4, dropout=0.25,
            spec_mask=False, embedding_name='embedding', embedding_units=64):
  """The seed's conv stack with BatchNorm, global average pooling → Dense 64.

  Arguments as `seed`; `embedding_units` (not scaled by width) is the dense
  layer before the softmax.
  """
  x = frontends.log_melspectrogram(pcm, sample_rate=sample_rate,
                                   normalize='batch', spec_mask=spec_mask)
  conv = scaler(width, 8)
  for block, filters in enumerate(CONV_FILTERS[:_check_depth(depth)], start=1):
    for padding in ('same', 'valid'):
      name = f'conv{block}_{padding}'
      x = keras.layers.Conv2D(conv(filters), 3, padding=padding,
                              use_bias=False, name=name)(x)
      x = keras.layers.BatchNormalization(momentum=frontends.BN_MOMENTUM, name=f'{name}_bn')(x)
      x = keras.layers.ReLU(name=f'{name}_relu')(x)
    x = keras.layers.MaxPooling2D(2, name=f'pool{block}')(x)
    x = keras.layers.Dropout(dropout, name=f'dropout{block}')(x)
  x = keras.layers.GlobalAveragePooling2D(name='global_pool')(x)
  return keras.layers.Dense(embedding_units, activation='relu',
                            name=embedding_name)(x)


def _check_depth(depth):
  if not 1 <= depth <= len(CONV_FILTERS):
    raise ValueError(f'depth of the seed models must be 1-{len(CONV_FILTERS)}, '
                     f'got {depth}')
  return depth
