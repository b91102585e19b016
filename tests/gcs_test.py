"""gs:// end to end against a GCS emulator on loopback (tests/fake_gcs.py).

Both clients are real: the builder's Beam FileSystems (google-cloud-storage,
pointed at the emulator by STORAGE_EMULATOR_HOST), and TensorFlow's own GCS
client in the trainer and evaluator (tf.data, checkpoints, TensorBoard,
export, predict), which reaches the same emulator through a TLS proxy.
"""

import json
import os
import sys
import time

from apache_beam.internal.gcp import auth as gcp_auth
from apache_beam.options import pipeline_options
import keras
import numpy as np
import pytest
import tensorflow as tf

from beam_pipelines import build_progress
from beam_pipelines import build_records_lib
from beam_pipelines import fileio
from beam_pipelines import tape_files
import conftest
from jazzcnn import baselines
from jazzcnn import features
from tests import fake_gcs


@pytest.fixture
def gcs(tmp_path):
  with fake_gcs.FakeGcs(str(tmp_path / 'fake_gcs'), bucket='jazz') as fake:
    yield fake


def _run(command, gcs):
  return conftest.run(command, env=dict(os.environ, **gcs.env))


def test_build_records_from_and_to_a_bucket(gcs, tiny_tapes, tmp_path):
  """Folders named with brackets, beside the folders that their names
  would match as globs: only the named ones are read, replaced, cleaned."""
  for name in os.listdir(tiny_tapes):
    gcs.bucket.blob(f'tapes [1]/{name}').upload_from_filename(
        os.path.join(tiny_tapes, name))
  others = ['tapes 1/decoy.mp3', 'records v/train-00000-of-00001.tfrecord',
            'records 2/.build-tmp-running/shard']
  for name in ['tapes [1]/notes/broken.mp3', *others,
               'records [v2]/train-00000-of-00001-earlier0.tfrecord',
               'records [v2]/.build-tmp-dead/shard']:
    gcs.bucket.blob(name).upload_from_string(b'not audio' * 99)
  result = _run(
      [sys.executable, '-m', 'beam_pipelines.build_records',
       '--runner=DirectRunner', '--direct_num_workers=1', '--no_auth',
       '--input=gs://jazz/tapes [1]',
       '--tracklist=gs://jazz/tapes [1]/tracklist.csv',
       '--output_dir=gs://jazz/records [v2]', '--trim_seconds=1',
       '--window_seconds=1', '--hop_seconds=1', '--shard_mb=0.05'], gcs)
  assert result.returncode == 0, result.stderr[-4000:]
  names = sorted(b.name for b in gcs.bucket.client.list_blobs(
      'jazz', prefix='records [v2]/'))
  info = json.loads(gcs.bucket.blob(
      'records [v2]/dataset_info.json').download_as_bytes())
  # The earlier build's shard and the dead build's folder are gone.
  assert names == sorted(['records [v2]/dataset_info.json'] + [
      f'records [v2]/{f}' for s in info['splits'].values()
      for f in s['files']])
  assert set(others) <= {b.name for b in gcs.bucket.list_blobs()}
  assert info['failures'] == [{'path': 'gs://jazz/tapes [1]/notes/broken.mp3',
                               'reason': 'unlisted', 'detail':
                               "no row titled 'broken' in the track list"}]
  for split in ('train', 'validation', 'test'):
    local = []
    for name in info['splits'][split]['files']:
      path = tmp_path / name
      gcs.bucket.blob(f'records [v2]/{name}').download_to_filename(str(path))
      local.append(str(path))
    records = [features.parse_single(r.numpy())
               for r in tf.data.TFRecordDataset(local)]
    assert len(records) == info['splits'][split]['windows'] > 0
    assert {r[features.TAPE_ID] for r in records} == set(
        info['splits'][split]['tape_ids'])
    assert all(r[features.WAVEFORM].shape == (16000,) for r in records)


def test_train_evaluate_predict_embed_and_compare_in_a_bucket(
    gcs, tiny_records, tiny_tapes, tmp_path):
  data_dir, info = tiny_records
  for name in os.listdir(data_dir):  # Shards and dataset_info.json.
    if os.path.isfile(os.path.join(data_dir, name)):
      gcs.bucket.blob(f'records/{name}').upload_from_filename(
          os.path.join(data_dir, name))
  result = _run(conftest.train_command('gs://jazz/records', 'gs://jazz/run'),
                gcs)
  assert result.returncode == 0, result.stderr[-4000:]
  result = _run([sys.executable, '-m', 'jazzcnn.evaluate',
                 '--model_dir=gs://jazz/run', '--data_dir=gs://jazz/records',
                 '--split=test'], gcs)
  assert result.returncode == 0, result.stderr[-4000:]
  tape = sorted(n for n in os.listdir(tiny_tapes) if n.endswith('.flac'))[0]
  gcs.bucket.blob(f'tapes/{tape}').upload_from_filename(
      os.path.join(tiny_tapes, tape))
  result = _run([sys.executable, '-m', 'jazzcnn.predict', '--json',
                 '--model_dir=gs://jazz/run', 'gs://jazz/tapes/*.flac'], gcs)
  assert result.returncode == 0, result.stderr[-4000:]
  prediction = json.loads(result.stdout)
  assert prediction['path'] == f'gs://jazz/tapes/{tape}'
  assert len(prediction['timeline']) == 6  # 8 s of 1 s windows, 1 s trims.
  result = _run([sys.executable, '-m', 'jazzcnn.embed',
                 '--model_dir=gs://jazz/run', '--output=gs://jazz/styles',
                 'gs://jazz/tapes/'], gcs)
  assert result.returncode == 0, result.stderr[-4000:]
  assert result.stdout.endswith('wrote 1 embeddings to gs://jazz/styles\n'), (
      result.stdout[-1000:])
  styles = {b.name for b in gcs.bucket.client.list_blobs('jazz',
                                                          prefix='styles/')}
  assert {'styles/embeddings.npy', 'styles/tapes.json',
          'styles/projection.png'} <= styles, sorted(styles)

  # Every shard was read, and every output written, by TensorFlow's client.
  read = {path.split('%2F')[-1] for host, method, path in
          gcs.tensorflow_requests
          if host == 'storage.googleapis.com' and method == 'GET'}
  for split in ('train', 'validation', 'test'):
    assert set(info['splits'][split]['files']) <= read
  assert any(method == 'PUT' and path.startswith('/upload/')
             for _, method, path in gcs.tensorflow_requests)
  names = {b.name for b in gcs.bucket.client.list_blobs('jazz',
                                                         prefix='run/')}
  for wanted in ('run/results.json', 'run/export/model.keras',
                 'run/export/eras.json',
                 'run/export/saved_model/saved_model.pb',
                 'run/checkpoints/checkpoint',
                 'run/evaluation/test/metrics.json',
                 'run/evaluation/test/confusion.png'):
    assert wanted in names, sorted(names)
  assert any(n.startswith('run/logs/train/events.out.tfevents') for n in names)
  # The export's temporary names were renamed or removed, object by object.
  assert not [n for n in names if '.tmp-' in n or '.old-' in n], sorted(names)

  metrics = json.loads(gcs.bucket.blob(
      'run/evaluation/test/metrics.json').download_as_bytes())
  assert np.sum(metrics['confusion_matrix']) == info['splits']['test'][
      'windows']
  # The exported model is whole: it loads and classifies.
  import jazzcnn  # pylint: disable=unused-import  # Registers the layers.
  local = tmp_path / 'model.keras'
  gcs.bucket.blob('run/export/model.keras').download_to_filename(str(local))
  model = keras.saving.load_model(str(local))
  probabilities = model.predict(
      np.zeros((1, conftest.TINY_WINDOW), np.int16), verbose=0)
  assert probabilities.shape == (1, len(info['eras']))

  # compare tabulates a finished run in the bucket (this one, as its recipe
  # 0) without training it again, beside the baselines on the bucket's
  # records.
  for blob in gcs.bucket.client.list_blobs('jazz', prefix='run/'):
    gcs.bucket.copy_blob(blob, gcs.bucket,
                         'cmp/0_cpu_smoke/' + blob.name[len('run/'):])
  gcs.bucket.blob('cmp/0_cpu_smoke/compare.json').upload_from_string(
      json.dumps({'recipe': 'flags/cpu_smoke.cfg', 'seconds': 60.0}))
  result = _run([sys.executable, '-m', 'jazzcnn.compare',
                 '--data_dir=gs://jazz/records', '--output=gs://jazz/cmp',
                 'flags/cpu_smoke.cfg'], gcs)
  assert result.returncode == 0, result.stderr[-4000:]
  lines = result.stdout.splitlines()
  assert lines[2].startswith('| `flags/cpu_smoke.cfg` |'), lines
  assert ' | 1.0 min | ' in lines[2], lines
  selected = lines.index('Selected on validation: `flags/cpu_smoke.cfg`')
  # Then the exported model, read from the bucket, beside each baseline:
  # its balanced accuracies, then its ROC AUCs.
  assert [l.split()[0] for l in lines[selected + 2:]] == [
      word for name in baselines.BASELINES for word in (name, 'window')
  ], lines


@pytest.fixture
def beam_gcs(gcs, monkeypatch):
  """`gcs` for Beam's FileSystems in this process."""
  # Beam 2.77 looks for Google credentials even under --no_auth, retrying
  # for ~20 s when there are none; the emulator needs none.
  monkeypatch.setattr(gcp_auth._Credentials, '_get_service_credentials',  # pylint: disable=protected-access
                      staticmethod(lambda options: None))
  fileio.set_options(pipeline_options.PipelineOptions(['--no_auth']))
  return gcs


def test_folders_named_with_brackets_in_a_bucket(beam_gcs):
  """'tapes [2024]' is that folder, named or in a glob, not a character
  class that reads 'tapes 2'; deleting in it deletes nothing beside it."""
  gcs = beam_gcs
  for name in ('tapes [2024]/a.flac', 'tapes [2024]/b.mp3',
               'tapes 2/decoy.flac', 'records [1]/.build-tmp-x/shard',
               'records 1/.build-tmp-y/shard'):
    gcs.bucket.blob(name).upload_from_string(b'x')
  assert tape_files.list_audio('gs://jazz/tapes [2024]') == [
      'gs://jazz/tapes [2024]/a.flac', 'gs://jazz/tapes [2024]/b.mp3']
  assert tape_files.list_audio('gs://jazz/tapes [2024]/*.flac') == [
      'gs://jazz/tapes [2024]/a.flac']
  tmp_dirs = fileio.glob_dirs('gs://jazz/records [1]', '.build-tmp-*')
  assert tmp_dirs == ['gs://jazz/records [1]/.build-tmp-x']
  fileio.delete_tree(tmp_dirs[0])
  fileio.delete(['gs://jazz/tapes [2024]/a.flac'])
  assert sorted(b.name for b in gcs.bucket.list_blobs()) == [
      'records 1/.build-tmp-y/shard', 'tapes 2/decoy.flac',
      'tapes [2024]/b.mp3']


def test_the_build_progress_line_counts_shards_in_a_bucket(beam_gcs):
  gcs = beam_gcs
  tmp = 'records/' + build_records_lib.TMP_PREFIX + 'abc'
  gcs.bucket.blob(f'{tmp}/train-1').upload_from_string(b'x' * 3_000_000)
  gcs.bucket.blob(f'{tmp}/test-1').upload_from_string(b'x' * 1_000_000)
  gcs.bucket.blob('records/train-00000-of-00001.tfrecord').upload_from_string(
      b'an earlier result')
  assert build_progress.written('gs://jazz/records') == (4_000_000, 2)
  terminal = conftest.Terminal()
  with build_progress.watch('gs://jazz/records', terminal, interval=0.05):
    time.sleep(0.5)
  assert '\rbuild_records: 4 MB in 2 shards, 0:00' in terminal.getvalue()
