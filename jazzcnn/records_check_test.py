"""Damaged records are named, never read short in silence."""

import json
import os
import shutil
import sys

import keras
import pytest

import conftest
from jazzcnn import dataset_info
from jazzcnn import errors
from jazzcnn import evaluate_lib
from jazzcnn import records_check


@pytest.fixture
def records(tiny_records, tmp_path):
  """A private copy of the shared tiny records, free to damage."""
  data_dir, info = tiny_records
  copy = str(tmp_path / 'records')
  shutil.copytree(data_dir, copy)
  return copy, info


def _mean_model(info):
  """A model of the right input and output, no training needed."""
  x = keras.Input((info['window_samples'],), dtype='int16')
  y = keras.layers.Dense(len(info['eras']), activation='softmax')(
      keras.ops.cast(x[:, :8], 'float32'))
  return keras.Model(x, y)


def _shard(data_dir, info, split='train'):
  return os.path.join(data_dir, info['splits'][split]['files'][0])


def test_intact_records_have_no_problems(records):
  data_dir, info = records
  report = records_check.check(data_dir, info)
  for split in dataset_info.SPLITS:
    assert report[split] == {'windows': info['splits'][split]['windows'],
                             'listed': info['splits'][split]['windows'],
                             'problems': []}


def test_flipped_bytes_are_named_by_shard(records):
  data_dir, info = records
  shard = _shard(data_dir, info)
  data = bytearray(open(shard, 'rb').read())
  data[len(data) // 2] ^= 0xFF
  open(shard, 'wb').write(bytes(data))
  problems = records_check.check(data_dir, info)['train']['problems']
  assert problems[0].startswith(f'{os.path.basename(shard)}: unreadable '
                                '(corrupted record at ')
  with pytest.raises(records_check.CorruptRecords,
                     match=f'^{os.path.basename(shard)}: unreadable'):
    evaluate_lib.predict_split(_mean_model(info), data_dir, info, 'train')


@pytest.mark.parametrize('cut', [4, 100])  # In a header; in the data.
def test_a_shard_cut_short_is_named(records, cut):
  """Cut inside a header, tf.data stops in silence; inside data, it fails.

  Either way verify_records names the shard and a full pass fails.
  """
  data_dir, info = records
  shard = _shard(data_dir, info, 'test')
  data = open(shard, 'rb').read()
  open(shard, 'wb').write(data[:len(data) // 2 + cut])  # Record 1 cut.
  report = records_check.check(data_dir, info)['test']
  assert report['windows'] < report['listed']
  name = os.path.basename(shard)
  assert report['problems'][0] in (
      f'{name}: cut short inside record 1 (the file ends at byte '
      f'{len(data) // 2 + cut})',
      f'{name}: unreadable (truncated record at {len(data) // 2})')
  with pytest.raises(errors.DataError, match=(
      f'^({name}: unreadable \\(truncated|test split: read '
      f"{report['windows']} windows where dataset_info.json lists "
      f"{report['listed']})")):
    evaluate_lib.predict_split(_mean_model(info), data_dir, info, 'test')


def test_counts_that_differ_from_dataset_info(records):
  data_dir, info = records
  info = json.loads(json.dumps(info))
  era = info['eras'][0]
  info['splits']['validation']['windows_per_era'][era] += 1
  info['splits']['validation']['windows'] += 1
  problems = records_check.check(data_dir, info)['validation']['problems']
  assert problems == [f'validation: {info["splits"]["validation"]["windows_per_era"][era] - 1} '
                      f'{era} windows read where dataset_info.json lists '
                      f'{info["splits"]["validation"]["windows_per_era"][era]}']
  with pytest.raises(dataset_info.WindowCountError, match='validation split: read'):
    evaluate_lib.predict_split(_mean_model(info), data_dir, info, 'validation')


def test_verify_records_command_passes_whole_records(tiny_records):
  data_dir, info = tiny_records
  result = conftest.run([sys.executable, '-m', 'jazzcnn.verify_records',
                         f'--data_dir={data_dir}'])
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.splitlines() == [
      f"{split}: {info['splits'][split]['windows']} of "
      f"{info['splits'][split]['windows']} windows read intact"
      for split in dataset_info.SPLITS], result.stdout
