"""The model: the seed's layer table, exactly, and the smoke variant."""

import keras
import numpy as np
import pytest

from jazzcnn import layers
from jazzcnn import models

# (layer, output shape without batch, parameters) — the seed's table.
SEED_TABLE = [
    ('mels_by_frames', (128, 938, 1), 0),
    ('normalize', (128, 938, 1), 0),
    ('conv1_same', (128, 938, 32), 320),
    ('conv1_valid', (126, 936, 32), 9248),
    ('pool1', (63, 468, 32), 0),
    ('dropout1', (63, 468, 32), 0),
    ('conv2_same', (63, 468, 64), 18496),
    ('conv2_valid', (61, 466, 64), 36928),
    ('pool2', (30, 233, 64), 0),
    ('conv3_same', (30, 233, 128), 73856),
    ('conv3_valid', (28, 231, 128), 147584),
    ('pool3', (14, 115, 128), 0),
    ('conv4_same', (14, 115, 256), 295168),
    ('conv4_valid', (12, 113, 256), 590080),
    ('pool4', (6, 56, 256), 0),
    ('flatten', (86016,), 0),
    ('dense1', (32,), 2752544),
    ('dense2', (512,), 16896),
    ('dense3', (512,), 262656),
    ('dense4', (512,), 262656),
    ('era', (4,), 2052),
]


@pytest.fixture(scope='module')
def seed_model():
  return models.build_model(4, 240000)


def test_seed_model_matches_the_table(seed_model):
  for name, shape, params in SEED_TABLE:
    layer = seed_model.get_layer(name)
    assert tuple(layer.output.shape[1:]) == shape, name
    assert layer.count_params() == params, name
  assert seed_model.count_params() == 4468484
  assert not seed_model.non_trainable_weights
  # The front end (kapre's STFT, magnitude, mel filterbank, dB) trains nothing.
  assert seed_model.get_layer('melspectrogram').count_params() == 0
  assert seed_model.input.dtype == 'int16'
  assert seed_model.output.shape[1:] == (4,)


def test_smoke_width_runs_on_short_windows():
  model = models.build_model(3, 16000, width=0.125)
  x = np.random.default_rng(0).integers(-2000, 2000, (2, 16000), np.int16)
  probs = model(x, training=False).numpy()
  assert probs.shape == (2, 3)
  np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
  assert model.count_params() < 50000


def test_mixed_precision_keeps_front_end_and_output_in_float32():
  keras.mixed_precision.set_global_policy('mixed_float16')
  try:
    model = models.build_model(4, 16000, width=0.125)
    assert model.get_layer('conv1_same').compute_dtype == 'float16'
    for layer in model.get_layer('melspectrogram').layers:
      assert layer.compute_dtype == 'float32'
    assert model.get_layer('normalize').compute_dtype == 'float32'
    assert model.output.dtype == 'float32'
  finally:
    keras.mixed_precision.set_global_policy('float32')


def test_spec_mask_masks_in_training_only():
  mask = layers.SpecMask(max_freq=10, max_time=20, masks=2)
  x = np.ones((8, 128, 100, 1), np.float32)
  np.testing.assert_array_equal(mask(x, training=False), x)
  masked = mask(x, training=True).numpy()
  zero_rows = (masked == 0).all(axis=(2, 3)).sum(axis=1)  # Whole mel bands.
  zero_cols = (masked == 0).all(axis=(1, 3)).sum(axis=1)  # Whole frames.
  assert (zero_rows <= 20).all() and (zero_cols <= 40).all()
  assert zero_rows.sum() + zero_cols.sum() > 0
  assert len({m.tobytes() for m in masked}) > 1  # Differs per example.


def test_embedding_model_is_the_penultimate_layer(seed_model):
  embed = models.embedding_model(seed_model)
  assert embed.output.shape[1:] == (512,)
