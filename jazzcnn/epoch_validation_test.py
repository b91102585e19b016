"""Validation during training: the frozen layers' cache and its fallback."""

import numpy as np
import pytest

from jazzcnn import epoch_validation
from jazzcnn import evaluate_lib
from jazzcnn import models
from jazzcnn import train_config


def _frozen(info, **overrides):
  config = train_config.TrainConfig(model='musicnn_msd', freeze=True,
                                 chunk_seconds=0.25, batch_size=4,
                                 **overrides)
  model = models.build_model(
      len(info['eras']), info['window_samples'], architecture=config.model,
      freeze=config.freeze, train_mid_end=config.train_mid_end,
      chunk_seconds=config.chunk_seconds)
  return config, model


def test_cached_validation_predicts_as_the_whole_model_and_runs_it_once(
    tiny_records, monkeypatch):
  data_dir, info = tiny_records
  config, model = _frozen(info)
  passes = []
  predict_split = evaluate_lib.predict_split
  monkeypatch.setattr(evaluate_lib, 'predict_split', lambda m, *a, **k: (
      passes.append(m.name), predict_split(m, *a, **k))[1])
  validation = epoch_validation.predictor(
      model, data_dir, info, architecture=config.model, batch_size=4)
  assert isinstance(validation, epoch_validation.CachedValidation)
  rng = np.random.default_rng(0)
  seen = []
  for _ in range(3):  # As training moves the weights that train.
    for w in model.trainable_weights:
      w.assign(rng.normal(scale=0.1, size=w.shape).astype('float32'))
    probs, labels, tapes = validation()
    whole = predict_split(model, data_dir, info, 'validation', batch_size=4)
    np.testing.assert_allclose(probs, whole[0], atol=1e-6)
    np.testing.assert_array_equal(labels, whole[1])
    np.testing.assert_array_equal(tapes, whole[2])
    seen.append(epoch_validation.scores(probs, labels, 4)['loss'])
  assert len(set(seen)) == 3  # The predictions follow the weights.
  assert passes == ['jazzcnn_features']  # The frozen layers ran once.


@pytest.mark.parametrize('overrides, cap, why', [
    ({'train_mid_end': True}, None, 'the mid end trains'),
    ({}, 0, 'over the memory cap'),
])
def test_validation_runs_the_whole_model_when_it_cannot_cache(
    tiny_records, monkeypatch, overrides, cap, why):
  data_dir, info = tiny_records
  config, model = _frozen(info, **overrides)
  if cap is not None:
    monkeypatch.setattr(epoch_validation, 'MAX_CACHED_BYTES', cap)
  validation = epoch_validation.predictor(
      model, data_dir, info, architecture=config.model, batch_size=4)
  assert not isinstance(validation, epoch_validation.CachedValidation), why
  whole = evaluate_lib.predict_split(model, data_dir, info, 'validation',
                                     batch_size=4)
  for got, expected in zip(validation(), whole):
    np.testing.assert_array_equal(got, expected)
