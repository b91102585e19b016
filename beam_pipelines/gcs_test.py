"""gs:// end to end against a GCS emulator on loopback.

The records builder reads tapes and its track list from a bucket and writes
shards and dataset_info.json back, all through Beam's FileSystems (the
google-cloud-storage client honours STORAGE_EMULATOR_HOST). TensorFlow's own
GCS client, which the trainer's tf.data uses for gs://, cannot be pointed at
an emulator: that path stays untested here (see README).
"""

import json
import os
import socket
import subprocess
import sys

import pytest
import tensorflow as tf

import conftest
from jazzcnn import features


@pytest.fixture
def bucket():
  sock = socket.socket()
  sock.bind(('127.0.0.1', 0))
  port = sock.getsockname()[1]
  sock.close()
  from gcp_storage_emulator import server as emulator
  gcs = emulator.create_server('127.0.0.1', port, in_memory=True,
                               default_bucket='jazz')
  gcs.start()
  host = f'http://127.0.0.1:{port}'
  old = os.environ.get('STORAGE_EMULATOR_HOST')
  os.environ['STORAGE_EMULATOR_HOST'] = host
  from google.cloud import storage
  yield storage.Client.create_anonymous_client().bucket('jazz'), host
  gcs.stop()
  if old is None:
    del os.environ['STORAGE_EMULATOR_HOST']
  else:
    os.environ['STORAGE_EMULATOR_HOST'] = old


def test_build_records_from_and_to_a_bucket(bucket, tiny_tapes, tmp_path):
  gcs, host = bucket
  for name in os.listdir(tiny_tapes):
    gcs.blob(f'tapes/{name}').upload_from_filename(
        os.path.join(tiny_tapes, name))
  gcs.blob('tapes/notes/broken.mp3').upload_from_string(b'not audio' * 99)
  env = dict(os.environ, STORAGE_EMULATOR_HOST=host)
  result = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.build_records',
       '--runner=DirectRunner', '--direct_num_workers=1', '--no_auth',
       '--input=gs://jazz/tapes', '--tracklist=gs://jazz/tapes/tracklist.csv',
       '--output_dir=gs://jazz/records', '--trim_seconds=1',
       '--window_seconds=1', '--hop_seconds=1', '--shard_mb=0.05'],
      cwd=conftest.ROOT, env=env, capture_output=True, text=True, timeout=600)
  assert result.returncode == 0, result.stderr[-4000:]
  names = sorted(b.name for b in gcs.client.list_blobs('jazz',
                                                       prefix='records/'))
  assert 'records/dataset_info.json' in names
  assert not [n for n in names if '.build-tmp-' in n]  # Cleaned up.
  info = json.loads(gcs.blob('records/dataset_info.json').download_as_bytes())
  assert info['failures'] == [{'path': 'gs://jazz/tapes/notes/broken.mp3',
                               'reason': 'unlisted', 'detail': ''}]
  for split in ('train', 'validation', 'test'):
    local = []
    for name in info['splits'][split]['files']:
      assert f'records/{name}' in names
      path = tmp_path / name
      gcs.blob(f'records/{name}').download_to_filename(str(path))
      local.append(str(path))
    records = [features.parse_single(r.numpy())
               for r in tf.data.TFRecordDataset(local)]
    assert len(records) == info['splits'][split]['windows'] > 0
    assert {r[features.TAPE_ID] for r in records} == set(
        info['splits'][split]['tape_ids'])
    assert all(r[features.WAVEFORM].shape == (16000,) for r in records)
