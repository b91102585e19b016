"""tools/accelerator_{corpus,train,scores}.py: GPU training without TF.

The GPU machines have JAX and no TensorFlow; these tools carry a corpus
there as musicnn spectrograms and bring window probabilities back to be
scored by the project's own metrics (BENCHMARKS.md, "Fine-tuning musicnn on
a GPU"). Here the middle step runs on Keras' TensorFlow backend, on the
tiny records, with one epoch: the chain must hold together, the network
must be the registry's, and every window of every fold must come back.
"""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np

from jazzcnn import dataset_info
from jazzcnn import fold_report
from jazzcnn import models

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOOLS = ROOT / 'tools'


def _run(*args, **env):
  return subprocess.run([sys.executable, *map(str, args)], check=True,
                        capture_output=True, text=True, cwd=ROOT,
                        env=dict(os.environ, **env))


def test_corpus_train_and_scores_chain(tiny_records, tmp_path):
  data_dir, info = tiny_records
  corpus_dir = tmp_path / 'corpus'
  # Two "folds" that are the same split: the tools index folds by position.
  _run(TOOLS / 'accelerator_corpus.py', f'--out={corpus_dir}', data_dir,
       data_dir)
  corpus = dict(np.load(corpus_dir / 'corpus.npz'))
  windows = sum(dataset_info.windows(info, s) for s in dataset_info.SPLITS)
  assert corpus['spectrogram'].dtype == np.uint8
  assert corpus['spectrogram'].shape == (windows, 61, 96)  # 1 s windows.
  assert list(corpus['eras']) == info['eras']
  for code, split in enumerate(dataset_info.SPLITS):
    chosen = corpus['split'][1] == code
    assert set(corpus['tape_id'][chosen]) == set(
        info['splits'][split]['tape_ids'])
    assert chosen.sum() == dataset_info.windows(info, split)
  weights = np.load(corpus_dir / 'musicnn_msd.npz')
  registry = models.build_model(4, 240000, architecture='musicnn_msd')
  assert {f'{l.name}/{i}' for l in registry.layers
          if l.name.startswith('musicnn_') for i in range(len(l.weights))
          } == set(weights.files)

  # musicnn needs 187 frames a chunk: tile the 1 s windows to 4 s.
  corpus['spectrogram'] = np.tile(corpus['spectrogram'], (1, 4, 1))
  np.savez(corpus_dir / 'corpus.npz', **corpus)
  runs = tmp_path / 'runs.npz'
  _run(TOOLS / 'accelerator_train.py', f'--corpus={corpus_dir}',
       '--recipes=frozen', '--epochs=1', f'--out={runs}',
       KERAS_BACKEND='tensorflow')
  out = np.load(runs)
  log = json.loads(str(out['log']))['recipes']['frozen']
  assert log['parameters'] == registry.count_params()
  assert log['trainable'] < log['parameters']  # The convolutions are frozen.
  for fold in (0, 1):
    assert log['folds'][str(fold)]['best_epoch'] == 1
    for split in ('validation', 'test'):
      probs = out[f'frozen/{fold}/{split}']
      assert probs.shape == (dataset_info.windows(info, split), 4)
      np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)

  scored = tmp_path / 'scored'
  _run(TOOLS / 'accelerator_scores.py', f'--runs={runs}',
       f'--corpus={corpus_dir}', f'--out={scored}', data_dir, data_dir)
  folds = []
  for fold in (0, 1):
    with open(scored / 'frozen' / f'fold{fold}' / 'test' / 'metrics.json') as f:
      folds.append(json.load(f))
  assert folds[0]['windows'] == dataset_info.windows(info, 'test')
  report = fold_report.aggregate_folds(folds)  # As jazzcnn.aggregate reads.
  assert report['windows'] == 2 * dataset_info.windows(info, 'test')
  assert report['tapes'] == 2 * len(info['splits']['test']['tape_ids'])


def test_networks_load_where_tensorflow_is_not_installed():
  """The GPU machines have no TensorFlow: musicnn's network, layers.py's
  `Reduce` and `Interleave` included, must load and run over stand-ins for
  it. Here TensorFlow is taken out of sys.modules while the tool loads."""
  script = """
import sys, types
import keras, numpy as np
real = sys.modules.pop('tensorflow')
import accelerator_train as tool
mods = tool.load_modules()
layers = sys.modules['jazzcnn.layers']
assert type(layers.tf) is types.ModuleType and layers.tf is not real
sys.modules['tensorflow'] = real
spec = keras.Input((187, 96, 1))
out = mods['musicnn'].network(spec, dropout=0.0)['penultimate']
x = np.random.default_rng(0).uniform(0, 2, (2, 187, 96, 1)).astype('f4')
y = keras.Model(spec, out).predict(x, verbose=0)
assert y.shape == (2, 200) and np.isfinite(y).all(), y.shape
print('ok')
"""
  done = subprocess.run([sys.executable, '-c', script], capture_output=True,
                        text=True, cwd=TOOLS,
                        env=dict(os.environ, KERAS_BACKEND='tensorflow'))
  assert done.stdout.strip() == 'ok', done.stderr[-3000:]


def _tool(monkeypatch):
  """tools/accelerator_train.py as a module, on this process's backend.

  Importing it sets KERAS_BACKEND to jax where it is unset, which every
  later test's subprocess would inherit: it is set (and then restored)
  around the import.
  """
  monkeypatch.setenv('KERAS_BACKEND', keras.backend.backend())
  monkeypatch.syspath_prepend(str(TOOLS))
  import accelerator_train  # pylint: disable=g-import-not-at-top
  return accelerator_train


def test_spec_mask_masks_whole_bands_and_frames_in_training_only(monkeypatch):
  mask = _tool(monkeypatch).SpecMask(max_freq=10, max_time=20, masks=2)
  x = np.ones((8, 96, 100, 1), np.float32)
  np.testing.assert_array_equal(mask(x, training=False), x)
  masked = np.asarray(mask(x, training=True))
  zero = masked == 0
  rows = zero.all(axis=(2, 3))  # Whole mel bands.
  cols = zero.all(axis=(1, 3))  # Whole frames.
  # Every zero is in a masked band or frame, and no more than the widths.
  np.testing.assert_array_equal(zero[..., 0],
                                rows[:, :, None] | cols[:, None, :])
  assert (rows.sum(axis=1) <= 20).all() and (cols.sum(axis=1) <= 40).all()
  assert rows.sum() > 0 and cols.sum() > 0
  assert len({m.tobytes() for m in masked}) > 1  # Differs per example.


def test_mixup_mixes_powers_as_waveforms_would(monkeypatch):
  tool = _tool(monkeypatch)
  power = np.random.default_rng(0).uniform(0, 1e-2, (4, 6)).astype(np.float32)
  loud = np.log10(1 + 1e4 * power)
  spec = np.stack([loud, np.zeros_like(loud)])  # A sound, then silence.
  labels = np.eye(2, dtype=np.float32)
  mixed, mixed_labels = tool.mixup(spec, labels, np.array([0.5, 1.0]))
  # The sound at half its amplitude (a quarter of its power) over silence;
  # the silence, weighted 1, stays silent.
  np.testing.assert_allclose(mixed[0], np.log10(1 + 1e4 * power / 4),
                             rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(mixed[1], 0, atol=1e-6)
  np.testing.assert_allclose(mixed_labels, [[0.5, 0.5], [0, 1]])
  same, same_labels = tool.mixup(spec, labels, np.ones(2))
  np.testing.assert_allclose(same, spec, rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(same_labels, labels)
