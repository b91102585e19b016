"""The fixed features heads are fitted on: their models, cache and memo."""

import logging
import os

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
