"""The exported model: whole, or refused."""

import json
import os
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from jazzcnn import export

INFO = {'eras': ['early', 'swing'], 'era_years': {'early': [1920, 1930],
                                                  'swing': [1931, 1944]},
        'sample_rate': 16000, 'window_samples': 4, 'hop_samples': 4,
        'trim_seconds': 0.0, 'splits': {}}


def _model():
  inputs = keras.Input((4,))
  return keras.Model(inputs, keras.layers.Dense(2, activation='softmax')(
      inputs))


def test_export_round_trips_and_leaves_no_temporary(tmp_path):
  model = _model()
  export.export(model, str(tmp_path), INFO, architecture={'model': 'toy'})
  loaded, meta = export.load_exported(str(tmp_path))
  x = np.arange(8, dtype=np.float32).reshape(2, 4)
  np.testing.assert_allclose(loaded.predict(x, verbose=0),
                             model.predict(x, verbose=0), rtol=1e-6)
  assert meta['eras'] == INFO['eras'] and meta['architecture'] == {
      'model': 'toy'}
  assert sorted(os.listdir(tmp_path / 'export')) == [
      'eras.json', 'model.keras', 'saved_model']


def test_export_replaces_the_saved_model_whole(tmp_path):
  export.export(_model(), str(tmp_path), INFO)
  model = _model()
  export.export(model, str(tmp_path), INFO)  # Over the earlier export.
  served = tf.saved_model.load(str(tmp_path / 'export' / 'saved_model'))
  x = np.arange(8, dtype=np.float32).reshape(2, 4)
  np.testing.assert_allclose(served.serve(tf.constant(x)).numpy(),
                             model.predict(x, verbose=0), rtol=1e-5)
  assert sorted(os.listdir(tmp_path / 'export')) == [
      'eras.json', 'model.keras', 'saved_model']


def test_an_export_cut_short_is_refused_not_loaded(tmp_path, monkeypatch):
  export.export(_model(), str(tmp_path), INFO)  # A complete earlier export.

  saved_model = tmp_path / 'export' / 'saved_model'
  before = (saved_model / 'saved_model.pb').read_bytes()

  def disk_full(path, **kwargs):
    os.makedirs(path)  # Half a SavedModel, then the disk is full.
    (Path(path) / 'saved_model.pb').write_bytes(b'half')
    raise OSError('No space left on device')

  model = _model()
  monkeypatch.setattr(model, 'export', disk_full)  # Dies after model.keras.
  with pytest.raises(OSError, match='No space'):
    export.export(model, str(tmp_path), INFO)
  assert not (tmp_path / 'export' / 'eras.json').exists()
  # A server reading saved_model still finds the earlier one, whole, and
  # nothing half-written is left beside it.
  assert (saved_model / 'saved_model.pb').read_bytes() == before
  assert sorted(os.listdir(tmp_path / 'export')) == [
      'model.keras', 'saved_model']
  with pytest.raises(ValueError, match='incomplete export'):
    export.load_exported(str(tmp_path))
  export.export(_model(), str(tmp_path), INFO)  # Training again mends it.
  _, meta = export.load_exported(str(tmp_path))
  assert meta == json.loads((tmp_path / 'export' / 'eras.json').read_text())


def test_a_failed_rename_keeps_the_earlier_saved_model(tmp_path, monkeypatch):
  export.export(_model(), str(tmp_path), INFO)
  saved_model = tmp_path / 'export' / 'saved_model'
  before = (saved_model / 'saved_model.pb').read_bytes()
  rename = tf.io.gfile.rename

  def failing_rename(src, dst, overwrite=False):
    if '.tmp-' in src and dst.endswith('saved_model'):
      raise OSError('rename failed')
    return rename(src, dst, overwrite)

  monkeypatch.setattr(tf.io.gfile, 'rename', failing_rename)
  with pytest.raises(OSError, match='rename failed'):
    export.export(_model(), str(tmp_path), INFO)
  assert (saved_model / 'saved_model.pb').read_bytes() == before
  assert sorted(os.listdir(tmp_path / 'export')) == [
      'model.keras', 'saved_model']
