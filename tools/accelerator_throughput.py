"""Training windows/s and MFU of the architectures on any Keras backend.

  KERAS_BACKEND=jax python tools/accelerator_throughput.py --out=gpu.json

For accelerators where TensorFlow is not installed (this workplace's GPU
machines carry JAX and PyTorch; TensorFlow's wheel is too large to carry
there). It builds `shortres` and `seed` from their own modules
(`jazzcnn/models/shortres.py`, `seed.py`), with one substitution: the kapre
front end, which is TensorFlow, becomes Keras' backend-neutral
`MelSpectrogram` with the same FFT, hop and mel bins. Everything after the
spectrogram is the code `python -m jazzcnn.train` trains.

Each configuration trains with `model.fit` on int16 windows held in host
memory (a fresh batch every step, copied to the device: what a prefetching
input pipeline hands over), AdamW, the model compiled by the backend's XLA
(`jit_compile=True`). Windows/s is counted over epochs after the first
(compilation); MFU is 3 x forward FLOPs (`models/flops.py`) x windows/s over
the chip's dense peak.

Not imported by the package: it loads the two model modules by path so that
neither `jazzcnn` (which imports kapre, hence TensorFlow) nor TensorFlow
is needed.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import sys
import time
import types

os.environ.setdefault('KERAS_BACKEND', 'jax')

import keras  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

ROOT = pathlib.Path(__file__).resolve().parents[1]
SAMPLE_RATE = 16000
WINDOW_SAMPLES = 15 * SAMPLE_RATE
# Dense bf16 peaks (TFLOP/s) by device-name fragment, from the vendors' sheets.
PEAK_TFLOPS = {'H100': 989.0, 'H200': 989.0, 'A100': 312.0, 'L4': 121.0}


class PcmToFloat(keras.layers.Layer):
  """int16 → float32 in [-1, 1)."""

  def call(self, x):
    return keras.ops.cast(x, 'float32') / 32768.0


def log_melspectrogram(pcm, *, sample_rate, n_fft=512, hop_length=256,
                       n_mels=128, normalize='example', spec_mask=False):
  """The front end of `models/frontends.py` on Keras' own MelSpectrogram."""
  del spec_mask  # A few elementwise ops; not what this measures.
  x = PcmToFloat(dtype='float32')(pcm)
  x = keras.layers.MelSpectrogram(
      fft_length=n_fft, sequence_stride=hop_length, sequence_length=n_fft,
      num_mel_bins=n_mels, sampling_rate=sample_rate, power_to_db=True,
      dtype='float32')(x)  # [batch, mels, frames]
  x = keras.layers.Reshape((n_mels, -1, 1))(x)
  if normalize == 'example':
    return keras.layers.LayerNormalization(
        axis=(1, 2, 3), center=False, scale=False, dtype='float32')(x)
  return keras.layers.BatchNormalization(momentum=0.9, dtype='float32')(x)


def load_architectures(front=log_melspectrogram,
                       names=('shortres', 'seed', 'flops'), extra=None):
  """Model modules loaded by path, `front` in place of kapre's front end.

  Args:
    front: stands in for `frontends.log_melspectrogram`.
    names: modules of jazzcnn/models to load.
    extra: {module name: module} to put in sys.modules first (stand-ins
      for what a loaded module imports and this backend lacks).

  Returns:
    {name: module}.
  """
  package = types.ModuleType('jazzcnn.models')
  package.__path__ = [str(ROOT / 'jazzcnn' / 'models')]
  frontends = types.ModuleType('jazzcnn.models.frontends')
  frontends.log_melspectrogram = front
  frontends.BN_MOMENTUM = 0.9
  package.frontends = frontends
  sys.modules.update({'jazzcnn': types.ModuleType('jazzcnn'),
                      'jazzcnn.models': package,
                      'jazzcnn.models.frontends': frontends, **(extra or {})})
  loaded = {}
  for name in names:
    spec = importlib.util.spec_from_file_location(
        f'jazzcnn.models.{name}', ROOT / 'jazzcnn' / 'models' / f'{name}.py')
    loaded[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded[name])
  return loaded


def build(mods, architecture, width):
  """(model, samples per training example) as `python -m jazzcnn.train` trains."""
  if architecture == 'shortres':
    samples = mods['shortres'].CHUNK_SAMPLES  # One random chunk per window.
    body = mods['shortres'].shortres
  else:
    samples = WINDOW_SAMPLES
    body = mods['seed'].seed
  pcm = keras.Input((samples,), dtype='int16')
  x = body(pcm, sample_rate=SAMPLE_RATE, width=width)
  x = keras.layers.Dropout(0.5)(x)
  probs = keras.layers.Dense(4, activation='softmax', dtype='float32',
                             name='era')(x)
  return keras.Model(pcm, probs), samples


class EpochTimer(keras.callbacks.Callback):

  def on_train_begin(self, logs=None):
    self.times = [time.perf_counter()]

  def on_epoch_end(self, epoch, logs=None):
    self.times.append(time.perf_counter())


def measure(mods, architecture, width, batch, policy, steps, epochs,
            jit_compile=True):
  """One configuration's figures (a dict)."""
  keras.config.set_dtype_policy(policy)
  keras.utils.set_random_seed(0)
  model, samples = build(mods, architecture, width)
  model.compile(optimizer=keras.optimizers.AdamW(1e-3, clipnorm=1.0),
                loss='categorical_crossentropy', jit_compile=jit_compile)
  rng = np.random.default_rng(0)
  x = rng.integers(-8000, 8000, (batch * steps, samples), dtype=np.int16)
  y = keras.utils.to_categorical(rng.integers(0, 4, batch * steps), 4)
  timer = EpochTimer()
  model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0,
            callbacks=[timer])
  steady = np.diff(timer.times[1:])  # Epoch 1 compiles.
  windows_per_s = batch * steps / float(np.median(steady))
  # Training runs the network once per window (one chunk of each); the
  # forward FLOPs counted here are the network's on that input.
  flops = mods['flops'].forward_flops(model)
  keras.config.set_dtype_policy('float32')
  return {'architecture': architecture, 'width': width, 'batch': batch,
          'policy': policy, 'parameters': model.count_params(),
          'train_input_samples': samples,
          'forward_gflop_per_example': flops / 1e9,
          'windows_per_s': windows_per_s,
          'train_tflops': 3 * flops * windows_per_s / 1e12,
          'compile_and_first_epoch_s': timer.times[1] - timer.times[0]}


def device_name():
  if keras.backend.backend() == 'jax':
    import jax  # pylint: disable=g-import-not-at-top
    return jax.devices()[0].device_kind
  return keras.backend.backend()


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--configs', default='shortres:1:256,seed:1:64',
                      help='architecture:width:batch, comma-separated')
  parser.add_argument('--policies', default='float32,mixed_bfloat16')
  parser.add_argument('--steps', type=int, default=20, help='per epoch')
  parser.add_argument('--epochs', type=int, default=4)
  parser.add_argument('--out', default='', help='JSON lines go here too')
  parser.add_argument('--no_jit', action='store_true',
                      help='without XLA (to test the script quickly on a CPU)')
  args = parser.parse_args()
  mods = load_architectures()
  device = device_name()
  peak = next((v for k, v in PEAK_TFLOPS.items() if k in device), None)
  rows = []
  for config in args.configs.split(','):
    architecture, width, batch = config.split(':')
    for policy in args.policies.split(','):
      row = measure(mods, architecture, float(width), int(batch), policy,
                    args.steps, args.epochs, not args.no_jit)
      row.update(device=device, backend=keras.backend.backend(),
                 mfu_vs_bf16_peak=(row['train_tflops'] / peak if peak else None))
      rows.append(row)
      print(json.dumps(row), flush=True)
  if args.out:
    with open(args.out, 'w') as f:
      f.writelines(json.dumps(row) + '\n' for row in rows)


if __name__ == '__main__':
  main()
