"""Era classifiers by name, on one int16 input and one melspectrogram front end.

  model = models.build_model(4, 240000, architecture='shortres', width=0.25)

Every architecture maps an int16 waveform to a style embedding (the layer
named `embedding`); this module adds the optional chunking (random chunks in
training, the mean over all chunks of a window at inference) and the era
softmax. Adding an architecture is one function in one module and a line in
`ARCHITECTURES`.
"""

import dataclasses
import functools

import keras
import tensorflow as tf

from jazzcnn import layers
from jazzcnn.models import musicnn
from jazzcnn.models import seed
from jazzcnn.models import shortres
from jazzcnn.models.flops import forward_flops  # pylint: disable=unused-import

EMBEDDING = 'embedding'


@dataclasses.dataclass(frozen=True)
class Architecture:
  build: callable  # (pcm, *, sample_rate, width, depth, dropout, spec_mask,
  #                   embedding_name) → embedding tensor.
  depth: int  # Default depth.
  chunk_samples: int  # Default chunk at 16 kHz; 0: the whole window.
  load_pretrained: callable = None  # (model) → layers set, for pretrained.
  frozen: callable = None  # (layer name) → bool: what `freeze` fixes.
  # (layer name) → bool: what `freeze` fixes under `train_mid_end`.
  frozen_front: callable = None
  # build pools a window's chunks itself (gets `chunks`, every chunk in
  # training too) instead of a mean of chunk embeddings at inference.
  pools_chunks: bool = False
  # The layer whose output is the last one `freeze` fixes (without
  # `train_mid_end`): see `frozen_split`.
  frozen_output: str = None


ARCHITECTURES = {
    'seed': Architecture(seed.seed, 4, 0),
    'seed_bn': Architecture(seed.seed_bn, 4, 0),
    'shortres': Architecture(shortres.shortres, 7, shortres.CHUNK_SAMPLES),
    'musicnn_msd': Architecture(musicnn.musicnn_msd, 0, musicnn.CHUNK_SAMPLES,
                                musicnn.load_pretrained,
                                musicnn.is_front_or_mid_end,
                                musicnn.is_fixed_under_mid_end_training,
                                frozen_output=musicnn.POOLED),
    'musicnn_msd_stats': Architecture(
        musicnn.musicnn_msd_stats, 0, musicnn.CHUNK_SAMPLES,
        musicnn.load_pretrained, musicnn.is_front_or_mid_end,
        musicnn.is_fixed_under_mid_end_training, pools_chunks=True,
        frozen_output=musicnn.POOLED),
}


# Over 60 lines only with its docstring (every argument documented).
def build_model(num_classes, window_samples, *, architecture='seed',
                sample_rate=16000, width=1.0, depth=0, dropout=0.25,
                spec_mask=False, chunk_seconds=-1.0, freeze=False,
                train_mid_end=False, name='jazzcnn'):
  """Builds the classifier for int16 waveforms of `window_samples`.

  Args:
    num_classes: eras to tell apart.
    window_samples: waveform length; 240000 is 15 s at 16 kHz.
    architecture: a key of `ARCHITECTURES`.
    sample_rate: of the waveform, in Hz.
    width: scales the architecture's layer widths (1.0: as published).
    depth: blocks of the architecture; 0: its default.
    dropout: rate of the Dropout before the softmax (and of the
      architecture's own Dropout layers).
    spec_mask: SpecAugment-style masking of the spectrogram, training only.
    chunk_seconds: train on one random chunk of this length per window and
      predict a window by the mean over all its chunks (architectures that
      pool chunks themselves see every chunk, at random starts in
      training); 0: whole windows;
      < 0: the architecture's default (shortres: 59049 samples at 16 kHz,
      musicnn_msd(_stats): 48128, its 3 s patch).
    freeze: keep the pretrained convolutional layers fixed (musicnn_msd:
      its front and mid end; its dense back end and the head still train).
      20x faster to train on a CPU than fine-tuning everything.
    train_mid_end: with freeze, the pretrained mid end's convolutions train
      too (musicnn: its three 7-frame convolutions; every BatchNorm before
      pooling stays fixed).
    name: the model's name.

  Returns:
    An uncompiled `keras.Model` from int16 [batch, window_samples] to era
    probabilities (float32, also under a mixed-precision policy).

  Raises:
    ValueError: for an unknown architecture, a bad depth, or freezing
      what is not pretrained.
  """
  if architecture not in ARCHITECTURES:
    raise ValueError(f'unknown architecture {architecture!r}; choose from '
                     f'{sorted(ARCHITECTURES)}')
  arch = ARCHITECTURES[architecture]
  if train_mid_end and not freeze:
    raise ValueError('train_mid_end needs freeze (without it every layer '
                     'trains)')
  if freeze and not arch.frozen:
    raise ValueError(f'freeze needs a pretrained architecture; '
                     f'{architecture} starts from random weights')
  chunk = (round(arch.chunk_samples * sample_rate / 16000)
           if chunk_seconds < 0 else round(chunk_seconds * sample_rate))
  # (A default chunk longer than the window gives whole windows.)
  if chunk_seconds > 0 and chunk > window_samples:
    raise ValueError(f'--chunk_seconds={chunk_seconds} is longer than the '
                     f'{window_samples / sample_rate:g} s windows (0: whole '
                     'windows)')
  chunked = 0 < chunk < window_samples
  if arch.pools_chunks and not chunked:
    raise ValueError(f'{architecture} pools chunks: --chunk_seconds must be '
                     f'shorter than the window')
  pcm = keras.Input((window_samples,), dtype='int16', name='waveform')
  crops = layers.Crops(window_samples, chunk, every_chunk=arch.pools_chunks,
                       name='chunks') if chunked else None
  x = crops(pcm) if chunked else pcm
  pooled = chunked and not arch.pools_chunks  # Here, by CropMean.
  kwargs = {'chunks': crops.count} if arch.pools_chunks else {}
  x = arch.build(x, sample_rate=sample_rate, width=width,
                 depth=depth or arch.depth, dropout=dropout,
                 spec_mask=spec_mask,
                 embedding_name='chunk_embedding' if pooled else EMBEDDING,
                 **kwargs)
  if pooled:
    x = layers.CropMean(crops.count, name=EMBEDDING)(x)
  x = keras.layers.Dropout(dropout, name='embedding_dropout')(x)
  probs = keras.layers.Dense(num_classes, activation='softmax',
                             dtype='float32', name='era')(x)
  model = keras.Model(pcm, probs, name=name)
  if arch.load_pretrained:
    arch.load_pretrained(model)
  if freeze:
    fixed = arch.frozen_front if train_mid_end else arch.frozen
    for layer in model.layers:
      if fixed(layer.name):
        layer.trainable = False
  return model


def frozen_split(model, architecture):
  """The model as head(features(x)), cut where its fixed layers end.

  For a model built with `freeze` (and no `train_mid_end`), `features`
  holds no trainable weight, so its outputs for a given input stay the same
  all through training: they can be computed once and `head` run on them
  (at inference; in training the chunks are random). Both share the
  model's layers.

  Returns:
    (features, head) `keras.Model`s, or None when the architecture has no
    such cut or a weight before it trains.
  """
  name = ARCHITECTURES[architecture].frozen_output
  if not name:
    return None
  cut = model.get_layer(name).output
  features = keras.Model(model.input, cut, name=f'{model.name}_features')
  if features.trainable_weights:
    return None
  return features, keras.Model(cut, model.output, name=f'{model.name}_head')


@functools.lru_cache(maxsize=4)
def inference_fn(model):
  """model(x, training=False) as one tf.function for every batch size.

  A file's or a split's last batch is short; `predict_on_batch` would trace
  again for it (and TensorFlow warns about retracing).
  """
  spec = tf.TensorSpec([None, *model.inputs[0].shape[1:]],
                       model.inputs[0].dtype)
  return tf.function(lambda x: model(x, training=False), input_signature=[spec])


def embedding_model(model):
  """The model up to its `embedding` layer: per-window style embeddings."""
  return keras.Model(model.input, model.get_layer(EMBEDDING).output,
                     name=f'{model.name}_embedding')
