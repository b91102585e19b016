"""multi_worker_mirrored with two worker processes on this machine.

The same command a Cloud GPU VM batch job runs on each VM, with the cluster
in TF_CONFIG; here both workers listen on loopback ports. Keras 3's
Model.fit cannot run under MultiWorkerMirroredStrategy (keras-team/keras
#20585), so the trainer must say so at start on every worker, after the
workers have found each other, instead of failing deep inside fit.
"""

import json
import os
import socket
import subprocess

import conftest


def _free_ports(n):
  sockets = [socket.socket() for _ in range(n)]
  for s in sockets:
    s.bind(('127.0.0.1', 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def test_two_local_workers_connect_then_stop_with_a_clear_message(
    tiny_records, tmp_path):
  data_dir, _ = tiny_records
  workers = [f'127.0.0.1:{p}' for p in _free_ports(2)]
  procs = []
  for index in range(2):
    env = dict(os.environ, TF_CONFIG=json.dumps({
        'cluster': {'worker': workers},
        'task': {'type': 'worker', 'index': index}}))
    procs.append(subprocess.Popen(
        conftest.train_command(data_dir, str(tmp_path / 'mwms'),
                               '--strategy=multi_worker_mirrored',
                               '--virtual_cpus=0'),
        cwd=conftest.ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True))
  outputs = [p.communicate(timeout=300) for p in procs]
  for p, (_, err) in zip(procs, outputs):
    assert 'with 2 replicas' in err  # The cluster formed over TF_CONFIG.
    assert p.returncode != 0
    assert 'keras-team/keras#20585' in err and 'Traceback' not in err
  assert not os.path.exists(tmp_path / 'mwms' / 'results.json')
