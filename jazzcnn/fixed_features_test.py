"""The fixed features heads are fitted on: their models, cache and memo."""

import importlib.util
import logging
import os
import shutil

import numpy as np
import tensorflow as tf

import conftest
from jazzcnn import fixed_features


def test_musicnn_features_are_the_mean_and_spread_of_the_patches():
  window = 2 * 48128  # Two whole 3 s patches.
  x = np.random.default_rng(4).integers(-3000, 3000, (2, window), np.int16)
  stats = fixed_features.musicnn_model(window, 16000)(x).numpy()
  patch = fixed_features.musicnn_model(48128, 16000)
  first, second = (patch(x[:, :48128]).numpy()[:, :1506],
                   patch(x[:, 48128:]).numpy()[:, :1506])
  assert stats.shape == (2, 2 * 1506)
  np.testing.assert_allclose(stats[:, :1506], (first + second) / 2,
                             rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(stats[:, 1506:], np.abs(first - second) / 2,
                             rtol=1e-3, atol=1e-3)


def test_memos_compute_a_window_once_over_directories(tiny_records,
                                                      tmp_path):
  # Two folds of one corpus hold the same windows; copies of the records,
  # each with its own (empty) feature cache, stand in for them.
  info = tiny_records[1]
  first, second = (str(tmp_path / name) for name in ('f0', 'f1'))
  conftest.copy_records(tiny_records[0], first)
  conftest.copy_records(tiny_records[0], second)
  memos = {}
  x, y, tapes = fixed_features.split(first, info, 'test', 'mel_stats',
                                     memos=memos)
  (memo,) = memos.values()
  assert len(memo) == len({bytes(row) for row in x})  # One per window.
  # Mark what the memo holds: the second directory's features come from it,
  # not from the model, and its cache is written from them.
  for key in memo:
    memo[key] = memo[key] + 1000.0
  x2, y2, tapes2 = fixed_features.split(second, info, 'test', 'mel_stats',
                                        memos=memos)
  np.testing.assert_allclose(x2, x + 1000.0, rtol=1e-6)
  np.testing.assert_array_equal(y2, y)
  np.testing.assert_array_equal(tapes2, tapes)
  again, _, _ = fixed_features.split(second, info, 'test', 'mel_stats')
  np.testing.assert_array_equal(again, x2)


def test_read_only_records_give_their_features_uncached_with_one_warning(
    tiny_records, tmp_path, monkeypatch, caplog):
  info = tiny_records[1]
  data_dir = conftest.copy_records(tiny_records[0], str(tmp_path / 'ro'))

  def read_only(path):
    raise tf.errors.PermissionDeniedError(None, None,
                                          f'{path}; Read-only file system')

  with monkeypatch.context() as patch:
    patch.setattr(tf.io.gfile, 'makedirs', read_only)
    with caplog.at_level(logging.WARNING):
      first = fixed_features.split(data_dir, info, 'test', 'mel_stats')
      again = fixed_features.split(data_dir, info, 'train', 'mel_stats')
  assert not os.path.exists(fixed_features.cache_dir(data_dir))
  warnings = [r.getMessage() for r in caplog.records
              if r.levelno == logging.WARNING]
  assert len(warnings) == 1, warnings  # One a directory, not one a split.
  assert 'not cached' in warnings[0] and 'Read-only' in warnings[0]
  # The same features as when the cache is written.
  cached = fixed_features.split(data_dir, info, 'test', 'mel_stats')
  assert os.path.exists(fixed_features.cache_dir(data_dir))
  for got, expected in zip(first, cached):
    np.testing.assert_array_equal(got, expected)
  assert len(again[0]) == len(again[1]) > 0


def _module(path, source):
  spec = importlib.util.spec_from_file_location(path.stem, path)
  path.write_text(source)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def test_fingerprints_follow_code_and_weights_not_comments(tmp_path,
                                                           monkeypatch):
  code = 'def f(x):\n  """Doubles."""\n  return 2 * x  # Twice.\n'
  reworded = ('"""A module."""\n\n\ndef f(x):\n  """Twice x."""\n'
              '  # Doubled.\n  return 2 * x\n')
  changed = 'def f(x):\n  """Doubles."""\n  return 3 * x\n'
  syntax = [fixed_features._syntax(_module(tmp_path / f'm{i}.py', source))
            for i, source in enumerate((code, reworded, changed))]
  assert syntax[0] == syntax[1] != syntax[2]
  # A function's follows its own code only, not its module's other code.
  pair = [_module(tmp_path / f'p{i}.py',
                  f'{source}\n\ndef g():\n  return {i}\n')
          for i, source in enumerate((code, code, changed))]
  f, g = ([fixed_features._syntax(getattr(m, name)) for m in pair]
          for name in 'fg')
  assert f[0] == f[1] != f[2] and g[0] != g[1]
  # Every feature its own; the two checkpoints' weights differ.
  prints = {f: fixed_features.fingerprint.__wrapped__(f)
            for f in fixed_features.FEATURES}
  assert len(set(prints.values())) == len(prints)
  assert all(len(p) == 12 and int(p, 16) >= 0 for p in prints.values())
  assert prints == {f: fixed_features.fingerprint(f) for f in prints}
  # A change to the code the features depend on changes every fingerprint.
  monkeypatch.setattr(fixed_features, '_CODE', fixed_features._CODE + (
      _module(tmp_path / 'm2.py', changed),))
  assert all(fixed_features.fingerprint.__wrapped__(f) != p
             for f, p in prints.items())


def test_features_cached_by_other_code_are_computed_again(tiny_records,
                                                         tmp_path,
                                                         monkeypatch):
  info = tiny_records[1]
  data_dir = conftest.copy_records(tiny_records[0], str(tmp_path / 'r'))
  x, _, _ = fixed_features.split(data_dir, info, 'test', 'mel_stats')
  cache = fixed_features.cache_dir(data_dir)
  (old,) = os.listdir(cache)
  # Mark the cached features, and add one cached before fingerprints.
  np.savez(os.path.join(cache, old), **dict(
      np.load(os.path.join(cache, old)), x=x + 1000.0))
  shutil.copy(os.path.join(cache, old), os.path.join(cache,
                                                     'mel_stats-test.npz'))
  marked, _, _ = fixed_features.split(data_dir, info, 'test', 'mel_stats')
  np.testing.assert_array_equal(marked, x + 1000.0)  # Read from the cache.
  fixed_features.split(data_dir, info, 'train', 'mel_stats')
  monkeypatch.setattr(fixed_features, 'fingerprint',
                      lambda features: '0123456789ab')
  again, _, _ = fixed_features.split(data_dir, info, 'test', 'mel_stats')
  np.testing.assert_array_equal(again, x)  # Computed, not read.
  train = old.replace('-test.npz', '-train.npz')
  assert sorted(os.listdir(cache)) == [
      'mel_stats-0123456789ab-test.npz', train]  # Only the split's are gone.


def test_a_rebuild_drops_the_earlier_builds_cached_features(tiny_records,
                                                           tmp_path):
  info = tiny_records[1]
  data_dir = conftest.copy_records(tiny_records[0], str(tmp_path / 'r'))
  earlier = os.path.join(data_dir, 'baselines-0123456789ab')
  os.makedirs(earlier)  # As a build before this one left it.
  np.savez(os.path.join(earlier, 'mel_stats-0123456789ab-test.npz'), x=[1])
  open(os.path.join(data_dir, 'baselines-notes.txt'), 'w').close()
  fixed_features.split(data_dir, info, 'test', 'mel_stats')
  current = os.path.basename(fixed_features.cache_dir(data_dir))
  assert sorted(n for n in os.listdir(data_dir) if n.startswith('baselines')
               ) == sorted([current, 'baselines-notes.txt'])  # Files stay.
