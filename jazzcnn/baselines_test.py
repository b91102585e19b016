"""The baselines' logistic regression: C chosen on validation, fit on train."""

import numpy as np
from sklearn import metrics

from jazzcnn import baselines


def _blobs(n, dims, shift, seed):
  rng = np.random.default_rng(seed)
  y = np.arange(n) % 2
  x = rng.normal(size=(n, dims))
  x[:, 0] += shift * (2 * y - 1)  # One informative feature, the rest noise.
  return x, y


def test_fit_takes_the_smallest_c_when_every_c_separates():
  x, y = _blobs(40, 3, 10.0, 0)
  x_val, y_val = _blobs(20, 3, 10.0, 1)
  classifier = baselines.fit(x, y, x_val, y_val)
  assert classifier[-1].C == min(baselines.CS)
  assert (classifier.predict(x_val) == y_val).all()
  assert classifier[0].n_samples_seen_ == len(y)  # Fitted on train alone.


def test_fit_takes_the_c_with_the_best_validation_balanced_accuracy():
  x, y = _blobs(40, 200, 0.8, 2)  # Few windows, many noisy features.
  x_val, y_val = _blobs(200, 200, 0.8, 3)
  classifier = baselines.fit(x, y, x_val, y_val)
  scores = {}
  for c in baselines.CS:
    one = baselines.fit(x, y, x, y)  # Any C; then set this one and refit.
    one.set_params(logisticregression__C=c).fit(x, y)
    scores[c] = metrics.balanced_accuracy_score(y_val, one.predict(x_val))
  best = max(scores.values())
  assert scores[classifier[-1].C] == best
  assert classifier[-1].C == min(c for c, s in scores.items() if s == best)
  assert len(set(scores.values())) > 1  # The choice mattered here.


def test_musicnn_stats_features_are_the_mean_and_spread_of_the_patches():
  window = 2 * 48128  # Two whole 3 s patches.
  x = np.random.default_rng(4).integers(-3000, 3000, (2, window), np.int16)
  stats = baselines.BASELINES['musicnn_stats'](window, 16000)(x).numpy()
  mean = baselines.BASELINES['musicnn_msd'](window, 16000)(x).numpy()
  patch = baselines.BASELINES['musicnn_msd'](48128, 16000)
  first, second = patch(x[:, :48128]).numpy(), patch(x[:, 48128:]).numpy()
  assert stats.shape == (2, 2 * 1506)
  np.testing.assert_allclose(stats[:, :1506], mean, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(mean, (first + second) / 2, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(stats[:, 1506:], np.abs(first - second) / 2,
                             rtol=1e-3, atol=1e-3)
