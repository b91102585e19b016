"""The tf.data pipeline on records written by the real builder."""

import numpy as np
import pytest
import tensorflow as tf

from jazzcnn import distribute
from jazzcnn import features
from jazzcnn import input_pipeline


def test_training_batches_have_shapes_and_dtypes(tiny_records):
  data_dir, info = tiny_records
  ds = input_pipeline.create_dataset(data_dir, 'train', info=info,
                                     batch_size=4, training=True)
  for waveform, label in ds.take(7):  # More batches than one pass: repeats.
    assert waveform.dtype == tf.int16 and waveform.shape == (4, 16000)
    assert label.dtype == tf.int64 and label.shape == (4,)
    assert set(label.numpy()) <= {0, 1, 2, 3}


def test_evaluation_is_one_deterministic_pass(tiny_records):
  data_dir, info = tiny_records
  keys = (features.WAVEFORM, features.LABEL, features.TAPE_ID, features.OFFSET)

  def one_pass():
    ds = input_pipeline.create_dataset(data_dir, 'test', info=info,
                                       batch_size=3, training=False, keys=keys)
    return [(t.decode(), int(o)) for b in ds
            for t, o in zip(b[features.TAPE_ID].numpy(),
                            b[features.OFFSET].numpy())]

  first = one_pass()
  assert first == one_pass()
  assert len(first) == len(set(first)) == info['splits']['test']['windows']
  assert {t for t, _ in first} == set(info['splits']['test']['tape_ids'])


def test_training_never_sees_test_tapes(tiny_records):
  data_dir, info = tiny_records
  ds = input_pipeline.create_dataset(
      data_dir, 'train', info=info, batch_size=5, training=True,
      keys=(features.TAPE_ID,))
  seen = {t.decode() for b in ds.take(20) for t in b[features.TAPE_ID].numpy()}
  assert seen == set(info['splits']['train']['tape_ids'])
  assert not seen & set(info['splits']['test']['tape_ids'])
  assert not seen & set(info['splits']['validation']['tape_ids'])


def test_global_batch_is_split_across_replicas(tiny_records):
  data_dir, info = tiny_records
  strategy = distribute.get_strategy('mirrored')  # 2 CPUs (conftest).
  assert strategy.num_replicas_in_sync == 2
  ds = input_pipeline.create_dataset(data_dir, 'train', info=info,
                                     batch_size=4, training=True)
  waveform, _ = next(iter(strategy.experimental_distribute_dataset(ds)))
  parts = strategy.experimental_local_results(waveform)
  assert [p.shape for p in parts] == [(2, 16000), (2, 16000)]
  assert len({p.device for p in parts}) == 2


def test_waveforms_match_the_records(tiny_records):
  data_dir, info = tiny_records
  keys = (features.WAVEFORM, features.LABEL, features.TAPE_ID, features.OFFSET)
  ds = input_pipeline.create_dataset(data_dir, 'validation', info=info,
                                     batch_size=100, training=False, keys=keys)
  batch = next(iter(ds))
  got = {(t.decode(), int(o)): (w, int(l)) for t, o, w, l in zip(
      *(batch[k].numpy() for k in (features.TAPE_ID, features.OFFSET,
                                   features.WAVEFORM, features.LABEL)))}
  files = input_pipeline.split_files(data_dir, info, 'validation')
  raw = [features.parse_single(r.numpy()) for r in
         tf.data.TFRecordDataset(files)]
  assert len(got) == len(raw) == info['splits']['validation']['windows']
  for r in raw:
    waveform, label = got[(r[features.TAPE_ID], r[features.OFFSET])]
    np.testing.assert_array_equal(waveform, r[features.WAVEFORM])
    assert label == r[features.LABEL]


def test_missing_data_and_empty_split_fail_clearly(tiny_records, tmp_path):
  with pytest.raises(ValueError, match='build records'):
    input_pipeline.read_info(str(tmp_path))
  _, info = tiny_records
  empty = dict(info, splits=dict(info['splits'],
                                 test={'windows': 0, 'files': []}))
  with pytest.raises(ValueError, match="'test' .* is empty"):
    input_pipeline.create_dataset(str(tmp_path), 'test', info=empty,
                                  batch_size=2, training=False)
