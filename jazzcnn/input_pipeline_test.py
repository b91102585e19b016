"""The tf.data pipeline on records written by the real builder."""

import numpy as np
import pytest
import tensorflow as tf

from jazzcnn import dataset_info
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


@pytest.mark.parametrize('balanced', [False, True])
def test_a_seeded_deterministic_training_order_repeats(tiny_records,
                                                       balanced):
  data_dir, info = tiny_records

  def windows(seed):
    ds = input_pipeline.create_dataset(
        data_dir, 'train', info=info, batch_size=4, training=True,
        keys=(features.TAPE_ID, features.OFFSET), seed=seed,
        deterministic=True, balanced=balanced, shuffle_buffer=8)
    return [(t.decode(), int(o)) for b in ds.take(12)
            for t, o in zip(b[features.TAPE_ID].numpy(),
                            b[features.OFFSET].numpy())]

  first = windows(seed=3)
  assert first == windows(seed=3)
  assert first != windows(seed=4)  # The seed, not a fixed order, decides.


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
  files = dataset_info.split_files(data_dir, info, 'validation')
  raw = [features.parse_single(r.numpy()) for r in
         tf.data.TFRecordDataset(files)]
  assert len(got) == len(raw) == info['splits']['validation']['windows']
  for r in raw:
    waveform, label = got[(r[features.TAPE_ID], r[features.OFFSET])]
    np.testing.assert_array_equal(waveform, r[features.WAVEFORM])
    assert label == r[features.LABEL]


def test_missing_data_and_empty_split_fail_clearly(tiny_records, tmp_path):
  with pytest.raises(ValueError, match='build records'):
    dataset_info.read(str(tmp_path))
  _, info = tiny_records
  empty = dict(info, splits=dict(info['splits'],
                                 test={'windows': 0, 'files': []}))
  with pytest.raises(ValueError, match="'test' .* is empty"):
    input_pipeline.create_dataset(str(tmp_path), 'test', info=empty,
                                  batch_size=2, training=False)


def _unbalanced_records(tmp_path, counts=(60, 12, 4), samples=64):
  """A train split of 3 eras with `counts` windows, in 2 mixed shards."""
  files = ['train-00000-of-00002.tfrecord', 'train-00001-of-00002.tfrecord']
  writers = [tf.io.TFRecordWriter(str(tmp_path / f)) for f in files]
  k = 0
  for label, count in enumerate(counts):
    for i in range(count):
      writers[k % 2].write(features.make_example(
          np.full(samples, label * 1000 + i, np.int16), label=label,
          era=str(label), tape_id=f't{label}_{i % 3}', offset=i))
      k += 1
  for w in writers:
    w.close()
  eras = ['a', 'b', 'c']
  return {'eras': eras, 'window_samples': samples, 'compression': '',
          'splits': {'train': {'windows': sum(counts), 'files': files,
                               'windows_per_era': dict(zip(eras, counts))}}}


def test_balanced_batches_draw_every_era_equally_often(tmp_path):
  info = _unbalanced_records(tmp_path)
  ds = input_pipeline.create_dataset(
      str(tmp_path), 'train', info=info, batch_size=30, training=True,
      balanced=True, shuffle_buffer=8, seed=1)
  labels = np.concatenate([y.numpy() for _, y in ds.take(20)])
  share = np.bincount(labels, minlength=3) / len(labels)
  np.testing.assert_allclose(share, [1 / 3] * 3, atol=0.05)  # Not 79/16/5 %.
  plain = input_pipeline.create_dataset(
      str(tmp_path), 'train', info=info, batch_size=30, training=True, seed=1)
  plain_share = np.bincount(np.concatenate(
      [y.numpy() for _, y in plain.take(20)]), minlength=3) / 600
  assert plain_share[0] > 0.7  # What the eras' sizes alone give.


def test_mixup_mixes_waveforms_and_one_hot_labels_alike(tmp_path):
  info = _unbalanced_records(tmp_path, counts=(8, 8, 8))
  # Deterministic: each window is mixed with the batch's reverse, so a batch
  # whose eras read the same backwards (the parallel reads' order made one
  # now and then) has no window mixed across eras.
  ds = input_pipeline.create_dataset(
      str(tmp_path), 'train', info=info, batch_size=8, training=True,
      one_hot=True, mixup_alpha=0.4, seed=3, deterministic=True)
  x, y = next(iter(ds))
  assert x.dtype == tf.int16 and y.shape == (8, 3)
  np.testing.assert_allclose(y.numpy().sum(axis=1), 1.0, rtol=1e-6)
  assert ((y.numpy() > 0) & (y.numpy() < 1)).any()  # Some labels are mixed.
  # A window of era e holds 1000·e + i (i < 8): mixed with the same weights
  # as its label, it holds 1000·(expected era under the label) within 8.
  expected = 1000 * (y.numpy() @ np.arange(3))
  np.testing.assert_allclose(x.numpy()[:, 0], expected, atol=8.5)
  assert (x.numpy() == x.numpy()[:, :1]).all()  # Mixed sample by sample.
  with pytest.raises(ValueError, match='one_hot'):
    input_pipeline.create_dataset(str(tmp_path), 'train', info=info,
                                  batch_size=8, training=True, mixup_alpha=0.4)
