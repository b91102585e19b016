"""The exported model: whole, or refused."""

import json
import os

import keras
import numpy as np
import pytest

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


def test_an_export_cut_short_is_refused_not_loaded(tmp_path, monkeypatch):
  export.export(_model(), str(tmp_path), INFO)  # A complete earlier export.

  def disk_full(*args, **kwargs):
    raise OSError('No space left on device')

  model = _model()
  monkeypatch.setattr(model, 'export', disk_full)  # Dies after model.keras.
  with pytest.raises(OSError, match='No space'):
    export.export(model, str(tmp_path), INFO)
  assert not (tmp_path / 'export' / 'eras.json').exists()
  with pytest.raises(ValueError, match='incomplete export'):
    export.load_exported(str(tmp_path))
  export.export(_model(), str(tmp_path), INFO)  # Training again mends it.
  _, meta = export.load_exported(str(tmp_path))
  assert meta == json.loads((tmp_path / 'export' / 'eras.json').read_text())
