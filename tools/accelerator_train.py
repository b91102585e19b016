r"""Trains musicnn and the short-chunk ResNet over K folds on any Keras backend.

  KERAS_BACKEND=jax python tools/accelerator_train.py --corpus=.accel \
      --recipes=frozen,finetune,shortres --out=runs.npz

For what `python -m jazzcnn.train` cannot afford on 2 cores (fine-tuning
all of musicnn runs at 2.5 windows/s there) and cannot run on this
workplace's GPU machines (JAX, no TensorFlow). It reads what
`tools/accelerator_corpus.py` wrote (the folds' windows as musicnn
spectrograms, and musicnn's pretrained weights) and trains each recipe on
each fold with the networks of `jazzcnn/models/musicnn.py` and
`shortres.py`, loaded by path, and the optimiser and schedule of
`jazzcnn/optimization.py`, as `jazzcnn.train` does:

- one random 3 s chunk per window in training (musicnn's 187 frames,
  shortres' 231), every chunk at inference and the window's embedding the
  mean of its chunks' (`layers.CropMean`);
- era-balanced batches, AdamW with linear warmup and cosine decay, gradient
  clipping, label smoothing; the weights of the epoch with the best
  validation balanced accuracy (ties: lower loss) are the ones scored.

Where it differs: chunks start on STFT frames (256 samples) rather than on
any sample; the spectrogram is read in 8 bits (its max / 255 per step);
balanced batches draw windows with replacement; an epoch is the mean
train split's length over the folds, so every fold runs the same steps
and compiles once; shortres sees musicnn's 96-band log10(1 + 10^4 x)
spectrogram, not kapre's 128-band dB one; `shortres` trains without
SpecAugment and mixup, `shortres_aug` with them (mixup of powers, as the
corpus holds no waveforms: `mixup`).

Writes --out: an npz with, for each recipe, fold and split (validation,
test), the window probabilities (`<recipe>/<fold>/<split>`), and `log`
(JSON: each fold's validation curve, best epoch and seconds). The scores
are computed back here by `tools/accelerator_scores.py`, with the project's
own metrics.

Measured: BENCHMARKS.md, "Fine-tuning musicnn on a GPU".
"""

import argparse
import dataclasses
import importlib.util
import io
import json
import os
import pathlib
import sys
import time
import types

os.environ.setdefault('KERAS_BACKEND', 'jax')

import keras  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

import accelerator_throughput  # pylint: disable=g-import-not-at-top

ROOT = pathlib.Path(__file__).resolve().parents[1]
HOP, PATCH_FRAMES = 256, 187  # musicnn's STFT hop and 3 s input.
SHORTRES_FRAMES = round(59049 / HOP)  # shortres.CHUNK_SAMPLES in frames.
VALIDATION, TEST = 1, 2  # Split codes of corpus.npz.


@dataclasses.dataclass(frozen=True)
class Recipe:
  model: str  # 'musicnn' or 'shortres'.
  freeze: bool = False
  learning_rate: float = 1e-3
  epochs: int = 20
  batch_size: int = 16
  warmup_steps: int = 25
  weight_decay: float = 0.01
  clipnorm: float = 1.0
  label_smoothing: float = 0.1
  dropout: float = 0.5
  width: float = 1.0
  spec_mask: bool = False  # SpecAugment masking (`SpecMask`).
  mixup: float = 0.0  # Beta(α, α); 0: none (`mixup`).


RECIPES = {
    # flags/cpu.cfg: musicnn's convolutions frozen, its back end trains.
    'frozen': Recipe('musicnn', freeze=True),
    # cpu.cfg --nofreeze at fine-tuning rates: every layer trains.
    'finetune': Recipe('musicnn', learning_rate=1e-4),
    'finetune_3e-5': Recipe('musicnn', learning_rate=3e-5),
    'finetune_40': Recipe('musicnn', learning_rate=1e-4, epochs=40),
    # flags/gpu.cfg (default.cfg's recipe at batch 64) from random weights.
    'shortres': Recipe('shortres', learning_rate=1e-3, epochs=40,
                       batch_size=64, warmup_steps=100),
    # flags/gpu.cfg whole: with default.cfg's SpecAugment and mixup.
    'shortres_aug': Recipe('shortres', learning_rate=1e-3, epochs=40,
                           batch_size=64, warmup_steps=100, spec_mask=True,
                           mixup=0.2),
}


class SpecMask(keras.layers.Layer):
  """`jazzcnn.layers.SpecMask` on keras.ops (that one draws from TensorFlow's
  random streams, which its published figures were trained with; porting it
  would change them): in training, each example's
  `masks` frequency bands of up to `max_freq` bins and `masks` time spans
  of up to `max_time` frames of [batch, freq, time, 1] are set to 0."""

  def __init__(self, max_freq=16, max_time=64, masks=2, seed=0, **kwargs):
    super().__init__(**kwargs)
    self.max_freq, self.max_time, self.masks = max_freq, max_time, masks
    self.seed_generator = keras.random.SeedGenerator(seed)

  def call(self, x, training=None):
    if not training:
      return x
    batch = keras.ops.shape(x)[0]
    keep = keras.ops.ones_like(x, dtype='bool')
    for axis, widest in ((1, self.max_freq), (2, self.max_time)):
      size = x.shape[axis]
      positions = keras.ops.arange(size)
      for _ in range(self.masks):
        width = keras.random.randint((batch,), 0, widest + 1,
                                     seed=self.seed_generator)
        start = keras.random.randint((batch,), 0, 2**30,
                                     seed=self.seed_generator)
        start = start % keras.ops.maximum(size - width, 1)
        hit = keras.ops.logical_and(
            positions[None, :] >= start[:, None],
            positions[None, :] < (start + width)[:, None])
        shape = [-1, 1, 1, 1]
        shape[axis] = size
        keep = keras.ops.logical_and(
            keep, keras.ops.logical_not(keras.ops.reshape(hit, shape)))
    return keras.ops.where(keep, x, keras.ops.zeros_like(x))


def spectrogram_front(x, spec_mask=False, **unused):
  """shortres' front end on a spectrogram [batch, frames, mels]:
  [batch, mels, frames, 1], batch-normalised (`normalize='batch'`), then
  masked in training with `spec_mask`, as `frontends.log_melspectrogram`."""
  del unused
  x = keras.layers.Permute((2, 1))(x)
  x = keras.layers.Reshape((x.shape[1], x.shape[2], 1))(x)
  x = keras.layers.BatchNormalization(momentum=0.9, dtype='float32',
                                      name='normalize')(x)
  return SpecMask(name='spec_mask', dtype='float32')(x) if spec_mask else x


def mixup(spec, labels, lam):
  """`input_pipeline.mixup` on musicnn spectrograms: each example mixed
  with the batch's reverse, waveform weights `lam` [batch] and 1 − lam.

  The corpus holds log10(1 + 10^4 P) of the mel power P, not waveforms,
  so the mix is of powers: a waveform scaled by λ has λ² the power, and
  the power of a sum of two unrelated sounds is near the sum of their
  powers (exact when either is silent). The labels mix as
  `input_pipeline.mixup`'s do, by λ.
  """
  power = (np.power(10.0, spec) - 1.0) / 1e4
  w = lam[:, None, None]
  mixed = w**2 * power + (1 - w)**2 * power[::-1]
  lam = lam[:, None]
  return (np.log10(1.0 + 1e4 * mixed).astype(spec.dtype),
          lam * labels + (1 - lam) * labels[::-1])


def _load(name, path):
  spec = importlib.util.spec_from_file_location(name, path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def load_modules():
  """musicnn, shortres, optimization and metrics, without kapre or TF."""
  extra = {}
  # musicnn.py and layers.py import these for their front end, checkpoint
  # reader and TensorFlow layers, which are not used here (the corpus holds
  # spectrograms and weights; musicnn's `Reduce` and `Interleave` are on
  # keras.ops).
  for name in ('kapre', 'tensorflow', 'tensorflow.python',
               'tensorflow.python.training'):
    if name not in sys.modules:
      extra[name] = types.ModuleType(name)
  if 'kapre' in extra:
    extra['kapre'].time_frequency = None
  if 'tensorflow.python.training' in extra:
    extra['tensorflow.python.training'].py_checkpoint_reader = None
  sys.modules.update(extra)
  layers = _load('jazzcnn.layers', ROOT / 'jazzcnn' / 'layers.py')
  extra['jazzcnn.layers'] = layers
  mods = accelerator_throughput.load_architectures(
      spectrogram_front, ('musicnn', 'shortres'), extra)
  for name in extra:  # Keras must not take a stand-in for TensorFlow.
    if name.startswith(('kapre', 'tensorflow')):
      del sys.modules[name]
  sys.modules['jazzcnn'].layers = layers
  for name in ('optimization', 'metrics'):  # Keras, NumPy, scikit-learn.
    mods[name] = _load(f'jazzcnn.{name}', ROOT / 'jazzcnn' / f'{name}.py')
  return mods


def build(mods, recipe, frames, mels, eras, weights):
  """(classifier on one chunk, its embedding model, the head's layer)."""
  spec = keras.Input((frames, mels), name='spectrogram')
  if recipe.model == 'musicnn':
    x = keras.layers.Reshape((frames, mels, 1))(spec)
    x = mods['musicnn'].network(x, dropout=recipe.dropout)['penultimate']
  else:
    x = mods['shortres'].shortres(spec, sample_rate=16000, width=recipe.width,
                                  spec_mask=recipe.spec_mask,
                                  embedding_name='chunk_embedding')
  embedding = keras.layers.Identity(name='embedding')(x)
  x = keras.layers.Dropout(recipe.dropout, name='embedding_dropout')(embedding)
  head = keras.layers.Dense(eras, activation='softmax', dtype='float32',
                            name='era')
  model = keras.Model(spec, head(x))
  if recipe.model == 'musicnn':
    for layer in model.layers:
      if layer.name.startswith('musicnn_') and layer.weights:
        layer.set_weights([weights[f'{layer.name}/{i}']
                           for i in range(len(layer.weights))])
      if recipe.freeze and mods['musicnn'].is_front_or_mid_end(layer.name):
        layer.trainable = False
  return model, keras.Model(spec, embedding), head


def chunk_starts(total, chunk):
  """Evenly spaced starts of ceil(total / chunk) chunks (`layers.Crops`)."""
  count = -(-total // chunk)
  return [round(i * (total - chunk) / max(1, count - 1)) for i in range(count)]


def predict(embed, head, spec, chunk, batch=64):
  """Window probabilities: the head on the mean of the chunks' embeddings."""
  starts = chunk_starts(spec.shape[1], chunk)
  chunks = np.stack([spec[:, s:s + chunk] for s in starts], axis=1)
  flat = chunks.reshape(-1, chunk, spec.shape[2])
  pad = -len(flat) % batch  # One shape: one compilation.
  flat = np.concatenate([flat, np.zeros((pad,) + flat.shape[1:], flat.dtype)])
  emb = np.concatenate([np.asarray(embed.predict_on_batch(flat[i:i + batch]))
                        for i in range(0, len(flat), batch)])[:len(flat) - pad]
  emb = emb.reshape(len(spec), len(starts), -1).mean(axis=1)
  kernel, bias = head.get_weights()
  logits = emb @ kernel + bias
  probs = np.exp(logits - logits.max(axis=1, keepdims=True))
  return probs / probs.sum(axis=1, keepdims=True)


def validation_key(metrics, probs, labels):
  """(balanced accuracy, −loss): how `checkpoints.validation_key` ranks."""
  matrix = metrics.confusion(labels, probs.argmax(axis=1), probs.shape[1])
  return (metrics.balanced_accuracy(matrix),
          -metrics.cross_entropy(probs, labels))


def balanced_batches(rng, labels, batch):
  """Window indices: an era uniformly, then a window of it (replacement)."""
  by_era = [np.flatnonzero(labels == c) for c in np.unique(labels)]
  eras = rng.integers(0, len(by_era), batch)
  return np.array([rng.choice(by_era[e]) for e in eras])


def train_fold(model, embed, head, recipe, data, rng, steps_per_epoch,
               metrics):
  """Trains one fold from the model's current weights; returns its record."""
  train, val = data['train'], data['validation']
  chunk = model.inputs[0].shape[1]
  best, curve, started = None, [], time.perf_counter()
  for epoch in range(recipe.epochs):
    for _ in range(steps_per_epoch):
      idx = balanced_batches(rng, train['label'], recipe.batch_size)
      start = rng.integers(0, train['spec'].shape[1] - chunk + 1, len(idx))
      x = np.stack([train['spec'][i, s:s + chunk] for i, s in zip(idx, start)])
      y = np.eye(head.units, dtype='float32')[train['label'][idx]]
      if recipe.mixup:
        x, y = mixup(x, y, rng.beta(recipe.mixup, recipe.mixup, len(idx)))
      loss = float(np.asarray(model.train_on_batch(x, y)))
      if not np.isfinite(loss):
        raise FloatingPointError(f'loss {loss} in epoch {epoch + 1}')
    probs = predict(embed, head, val['spec'], chunk)
    score = validation_key(metrics, probs, val['label'])
    curve.append(score[0])
    if best is None or score > best[0]:
      best = (score, epoch + 1, model.get_weights())
  model.set_weights(best[2])
  return {'curve': curve, 'best_epoch': best[1],
          'seconds': time.perf_counter() - started}


def fold_data(corpus, spec, fold):
  """{'train'|'validation'|'test': {'spec', 'label'}} of one fold."""
  return {name: {'spec': spec[corpus['split'][fold] == code],
                 'label': corpus['label'][corpus['split'][fold] == code]}
          for code, name in enumerate(('train', 'validation', 'test'))}


def run_recipe(mods, name, corpus, spec, weights, folds, out):
  """Every fold of one recipe; window probabilities and records into `out`."""
  recipe = RECIPES[name]
  eras = len(corpus['eras'])
  frames = PATCH_FRAMES if recipe.model == 'musicnn' else SHORTRES_FRAMES
  keras.utils.set_random_seed(0)
  model, embed, head = build(mods, recipe, frames,
                             corpus['spectrogram'].shape[2], eras, weights)
  mean_train = np.mean([(corpus['split'][k] == 0).sum() for k in folds])
  steps = max(1, int(mean_train) // recipe.batch_size)
  model.compile(
      optimizer=mods['optimization'].make_optimizer(
          'adamw', mods['optimization'].learning_rate(
              recipe.learning_rate, schedule='cosine',
              total_steps=steps * recipe.epochs,
              warmup_steps=recipe.warmup_steps),
          weight_decay=recipe.weight_decay, clipnorm=recipe.clipnorm),
      loss=keras.losses.CategoricalCrossentropy(
          label_smoothing=recipe.label_smoothing), jit_compile=True)
  initial = model.get_weights()
  records = {}
  for fold in folds:
    model.set_weights(initial)
    for variable in model.optimizer.variables:  # A fresh optimiser.
      variable.assign(np.zeros(variable.shape, variable.dtype))
    data = fold_data(corpus, spec, fold)
    rng = np.random.default_rng(fold)
    records[fold] = train_fold(model, embed, head, recipe, data, rng, steps,
                               mods['metrics'])
    for split in ('validation', 'test'):
      out[f'{name}/{fold}/{split}'] = predict(embed, head, data[split]['spec'],
                                              frames)
    print(json.dumps({'recipe': name, 'fold': fold, **records[fold],
                      'test_window_ba': validation_key(
                          mods['metrics'], out[f'{name}/{fold}/test'],
                          data['test']['label'])[0]}), flush=True)
  return {'recipe': dataclasses.asdict(recipe), 'steps_per_epoch': steps,
          'parameters': model.count_params(),
          'trainable': int(sum(np.prod(v.shape)
                               for v in model.trainable_variables)),
          'folds': records}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--corpus', required=True,
                      help="tools/accelerator_corpus.py's --out")
  parser.add_argument('--recipes', default='frozen,finetune,shortres')
  parser.add_argument('--folds', default='', help='e.g. 0,1; all by default')
  parser.add_argument('--epochs', type=int, default=0,
                      help='overrides every recipe (to try the tool)')
  parser.add_argument('--out', required=True, help='an .npz')
  args = parser.parse_args()
  corpus = dict(np.load(os.path.join(args.corpus, 'corpus.npz')))
  weights = dict(np.load(os.path.join(args.corpus, 'musicnn_msd.npz')))
  folds = ([int(k) for k in args.folds.split(',')] if args.folds
           else list(range(len(corpus['split']))))
  if args.epochs:
    for name in RECIPES:
      RECIPES[name] = dataclasses.replace(RECIPES[name], epochs=args.epochs)
  spec = corpus['spectrogram'].astype('float32') * float(corpus['scale'])
  mods = load_modules()
  out, log = {}, {'device': accelerator_throughput.device_name(),
                  'backend': keras.backend.backend(), 'recipes': {}}
  for name in args.recipes.split(','):
    log['recipes'][name] = run_recipe(mods, name, corpus, spec, weights,
                                      folds, out)
    buffer = io.BytesIO()  # After each recipe: a later failure keeps these.
    np.savez(buffer, log=json.dumps(log), **out)
    pathlib.Path(args.out).write_bytes(buffer.getvalue())


if __name__ == '__main__':
  main()
