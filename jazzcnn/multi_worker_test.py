"""multi_worker_mirrored with two worker processes on this machine.

The same command a Cloud GPU VM batch job runs on each VM, with the cluster
in TF_CONFIG; here both workers listen on loopback ports. (Keras 3's fit
cannot drive several workers, keras-team/keras#20585; the trainer switches to
its own distributed loop, jazzcnn/custom_loop.py.)
"""

import json
import os
import socket
import subprocess

import numpy as np

import conftest


def _free_ports(n):
  sockets = [socket.socket() for _ in range(n)]
  for s in sockets:
    s.bind(('127.0.0.1', 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def test_two_local_workers_train_checkpoint_and_export(tiny_records, tmp_path):
  data_dir, info = tiny_records
  model_dir = str(tmp_path / 'mwms')
  workers = [f'127.0.0.1:{p}' for p in _free_ports(2)]
  procs = []
  for index in range(2):
    env = dict(os.environ, TF_CONFIG=json.dumps({
        'cluster': {'worker': workers},
        'task': {'type': 'worker', 'index': index}}))
    procs.append(subprocess.Popen(
        conftest.train_command(data_dir, model_dir,
                               '--strategy=multi_worker_mirrored',
                               '--virtual_cpus=0', '--epochs=2'),
        cwd=conftest.ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True))
  outputs = [p.communicate(timeout=600) for p in procs]
  for p, (_, err) in zip(procs, outputs):
    assert p.returncode == 0, err[-4000:]
    assert 'with 2 replicas' in err  # The cluster formed over TF_CONFIG.
  # Worker 0 is the chief: results, export and the kept checkpoints; worker 1
  # checkpoints into a scratch directory.
  results = json.load(open(os.path.join(model_dir, 'results.json')))
  steps = info['splits']['train']['windows'] // 8
  assert results['step'] == 2 * steps
  for split in ('validation', 'test'):
    assert np.isfinite(results[split]['loss'])
    assert 0 <= results[split]['accuracy'] <= 1
  assert os.path.exists(os.path.join(model_dir, 'export', 'model.keras'))
  assert os.listdir(os.path.join(model_dir, 'checkpoints'))
  assert os.listdir(os.path.join(model_dir, 'workers', 'worker_1',
                                 'checkpoints'))
