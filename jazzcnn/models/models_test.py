"""The architectures: the seed's table exactly, each one learns, chunking."""

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
    ('embedding', (512,), 262656),
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


def _toy_set(n=48, samples=8000, seed=0):
  """Two classes that differ in spectrum: noise around 400 Hz or 3 kHz."""
  rng = np.random.default_rng(seed)
  t = np.arange(samples) / 16000
  labels = np.arange(n) % 2
  x = np.stack([
      np.sin(2 * np.pi * (400 if y == 0 else 3000) * rng.uniform(0.9, 1.1) * t
             + rng.uniform(0, 6.3)) * rng.uniform(0.2, 0.6)
      + rng.normal(0, 0.05, samples) for y in labels])
  return (x * 32767 * 0.5).astype(np.int16), labels


@pytest.mark.parametrize('architecture, kwargs, toy, epochs', [
    ('seed', {'width': 0.125, 'depth': 2}, {}, 12),
    ('seed_bn', {'width': 0.125, 'depth': 2}, {}, 12),
    ('shortres', {'width': 0.0625, 'depth': 3, 'chunk_seconds': 0.125}, {},
     12),
    # Pretrained and frozen: two 3 s chunks a window, fewer steps.
    ('musicnn_msd_stats', {'freeze': True}, {'n': 32, 'samples': 52000}, 6),
])
def test_each_architecture_learns_a_separable_toy_set(architecture, kwargs,
                                                      toy, epochs):
  x, y = _toy_set(**toy)
  keras.utils.set_random_seed(0)
  model = models.build_model(2, x.shape[1], architecture=architecture,
                             dropout=0.1, **kwargs)
  model.compile(keras.optimizers.Adam(3e-3),
                'sparse_categorical_crossentropy')
  before = model.evaluate(x, y, verbose=0)
  model.fit(x, y, batch_size=16, epochs=epochs, verbose=0)
  after = model.evaluate(x, y, verbose=0)
  predicted = models.inference_fn(model)(x).numpy().argmax(1)
  assert after < before
  assert (predicted == y).mean() >= 0.9, (architecture, (predicted == y).mean())


def test_shortres_trains_on_random_chunks_and_predicts_on_all():
  model = models.build_model(3, 16000, architecture='shortres', width=0.0625,
                             depth=2, chunk_seconds=0.25)
  chunks = model.get_layer('chunks')
  assert (chunks.chunk, chunks.count) == (4000, 4)
  x = np.random.default_rng(0).integers(-2000, 2000, (2, 16000), np.int16)
  assert chunks(x, training=True).shape == (2, 4000)
  assert chunks(x, training=False).shape == (8, 4000)
  assert models.embedding_model(model)(x).shape == (2, 8)  # 8 channels.
  assert model(x, training=False).shape == (2, 3)


def test_chunks_cover_the_window_and_vary_in_training():
  crop = layers.Crops(10, 4)  # Chunks at 0, 3, 6: every sample covered.
  x = np.arange(20, dtype=np.int16).reshape(2, 10)
  np.testing.assert_array_equal(
      crop(x, training=False).numpy(),
      [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9],
       [10, 11, 12, 13], [13, 14, 15, 16], [16, 17, 18, 19]])
  starts = {int(crop(x, training=True).numpy()[0, 0]) for _ in range(30)}
  assert starts <= set(range(7)) and len(starts) > 2
  rows = np.arange(12, dtype=np.float32).reshape(6, 2)
  np.testing.assert_allclose(layers.CropMean(3)(rows, training=False),
                             [[2, 3], [8, 9]])


def test_crop_stats_pool_each_windows_chunks_in_training_too():
  crop = layers.Crops(10, 4, every_chunk=True)  # 3 chunks a window.
  x = np.arange(20, dtype=np.int16).reshape(2, 10)
  train = crop(x, training=True).numpy()
  assert train.shape == (6, 4)
  assert (train[:3] < 10).all() and (train[3:] >= 10).all()  # Own window's.
  assert (np.diff(train, axis=1) == 1).all()
  rows = np.array([[0, 1], [2, 1], [4, 1], [10, 5], [10, 7], [10, 9]],
                  np.float32)
  np.testing.assert_allclose(
      layers.CropStats(3)(rows),
      [[2, 1, np.std([0, 2, 4]), 0], [10, 7, 0, np.std([5, 7, 9])]],
      rtol=1e-6)


def test_musicnn_stats_freezes_the_pretrained_layers_only():
  model = models.build_model(4, 64000, architecture='musicnn_msd_stats',
                             freeze=True)
  assert model.get_layer('chunks').count == 2  # 3 s chunks of 4 s.
  assert model.get_layer('chunk_stats').output.shape[1:] == (2 * 1506,)
  trainable = {w.path.split('/')[0] for w in model.trainable_weights}
  assert trainable == {'stats_batch_normalization', 'stats_dense',
                       'stats_penultimate', 'era'}
  frozen = [l for l in model.layers if l.name.startswith('musicnn_')]
  assert len(frozen) == 17 and not any(l.trainable for l in frozen)
  assert models.embedding_model(model).output.shape[1:] == (200,)


def test_train_mid_end_unfreezes_the_mid_end_convolutions_only():
  model = models.build_model(4, 64000, architecture='musicnn_msd',
                             freeze=True, train_mid_end=True)
  trainable = {w.path.split('/')[0] for w in model.trainable_weights}
  assert trainable == {
      'musicnn_conv2d_5', 'musicnn_conv2d_6', 'musicnn_conv2d_7',
      'musicnn_batch_normalization_9', 'musicnn_dense',
      'musicnn_batch_normalization_10', 'era'}
  with pytest.raises(ValueError, match='train_mid_end needs freeze'):
    models.build_model(4, 64000, architecture='musicnn_msd',
                       train_mid_end=True)
  with pytest.raises(ValueError, match='freeze needs a pretrained'):
    models.build_model(4, 16000, architecture='seed', freeze=True)


@pytest.mark.parametrize('architecture', ['musicnn_msd', 'musicnn_msd_stats'])
def test_a_frozen_model_splits_into_fixed_features_and_a_head(architecture):
  model = models.build_model(4, 64000, architecture=architecture,
                             freeze=True)
  features, head = models.frozen_split(model, architecture)
  assert not features.trainable_weights
  assert len(head.trainable_weights) == len(model.trainable_weights)
  x = np.random.default_rng(0).integers(-9000, 9000, (3, 64000), np.int16)
  rows = features(x, training=False)
  assert rows.shape == (3 * 2, 1506)  # Two 3 s chunks of each window.
  np.testing.assert_allclose(head(rows, training=False),
                             model(x, training=False), atol=1e-6)


@pytest.mark.parametrize('architecture, kwargs', [
    ('seed_bn', {}),  # No pretrained cut.
    ('musicnn_msd', {}),  # Not frozen: every layer trains.
    ('musicnn_msd', {'freeze': True, 'train_mid_end': True}),
])
def test_no_frozen_split_when_a_layer_before_the_cut_trains(architecture,
                                                            kwargs):
  model = models.build_model(4, 64000, architecture=architecture, **kwargs)
  assert models.frozen_split(model, architecture) is None


def test_width_does_not_shrink_the_bottleneck():
  model = models.build_model(4, 16000, width=0.0625)
  assert model.get_layer('dense1').units == 32
  assert model.get_layer('embedding').units == 32
  assert model.get_layer('conv1_same').filters == 4


def test_unknown_architecture_bad_depth_and_long_chunks_are_value_errors():
  with pytest.raises(ValueError, match='unknown architecture'):
    models.build_model(4, 16000, architecture='vgg')
  with pytest.raises(ValueError, match='depth'):
    models.build_model(4, 16000, architecture='shortres', depth=9)
  with pytest.raises(ValueError, match='longer than the 1 s windows'):
    models.build_model(4, 16000, architecture='shortres', chunk_seconds=2.0)


def test_forward_flops_count_every_chunk(seed_model):
  assert 10.8e9 < models.forward_flops(seed_model) < 11.0e9  # The seed's ~11.
  whole = models.build_model(4, 240000, architecture='shortres', width=0.25)
  chunk = models.build_model(4, whole.get_layer('chunks').chunk,
                             architecture='shortres', width=0.25,
                             chunk_seconds=0)
  head = 2 * int(np.prod(whole.get_layer('era').kernel.shape))
  assert models.forward_flops(whole) - head == 5 * (
      models.forward_flops(chunk) - head)


@pytest.mark.parametrize('architecture', sorted(models.ARCHITECTURES))
def test_every_architecture_saves_and_loads_in_keras_safe_mode(architecture,
                                                                tmp_path):
  pretrained = architecture.startswith('musicnn')
  kwargs = {} if pretrained else {'width': 0.0625, 'depth': 1}
  window = 64000 if architecture == 'musicnn_msd_stats' else 16000
  model = models.build_model(3, window, architecture=architecture, **kwargs)
  path = str(tmp_path / 'model.keras')
  model.save(path)
  loaded = keras.saving.load_model(path)  # safe_mode: no Lambda layers.
  x = np.random.default_rng(0).integers(-2000, 2000, (2, window), np.int16)
  np.testing.assert_allclose(loaded(x, training=False),
                             model(x, training=False), rtol=1e-5, atol=1e-6)
