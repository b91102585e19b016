"""multi_worker_mirrored with two worker processes on this machine.

The same command a Cloud GPU VM batch job runs on each VM, with the cluster
in TF_CONFIG; here both workers listen on loopback ports. (Keras 3's fit
cannot drive several workers, keras-team/keras#20585; the trainer switches to
its own distributed loop, jazzcnn/custom_loop.py.)
"""

import json
import os
import signal
import subprocess
import time

import numpy as np
import tensorflow as tf

import conftest


def _start_workers(data_dir, model_dir, epochs):
  workers = [f'127.0.0.1:{p}' for p in conftest.free_ports(2)]
  procs = []
  for index in range(2):
    env = dict(os.environ, TF_CONFIG=json.dumps({
        'cluster': {'worker': workers},
        'task': {'type': 'worker', 'index': index}}))
    procs.append(subprocess.Popen(
        conftest.train_command(data_dir, model_dir,
                               '--strategy=multi_worker_mirrored',
                               '--virtual_cpus=0', f'--epochs={epochs}'),
        cwd=conftest.ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True))
  return procs


def _saved_step(checkpoints):
  path = tf.train.latest_checkpoint(checkpoints)
  return int(path.rsplit('-', 1)[1]) if path else None


def test_two_local_workers_train_checkpoint_and_export(tiny_records, tmp_path):
  data_dir, info = tiny_records
  model_dir = str(tmp_path / 'mwms')
  procs = _start_workers(data_dir, model_dir, epochs=2)
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
    assert 0 <= results[split]['window_balanced_accuracy'] <= 1
  assert os.path.exists(os.path.join(model_dir, 'export', 'model.keras'))
  assert os.listdir(os.path.join(model_dir, 'checkpoints'))
  assert os.listdir(os.path.join(model_dir, 'workers', 'worker_1',
                                 'checkpoints'))


def test_sigterm_to_one_worker_stops_both_at_one_step_and_resumes(
    tiny_records, tmp_path):
  """A preempted VM gets SIGTERM; the others must stop at the same step, as
  each checkpoint save is collective (one worker saving alone would hang)."""
  data_dir, info = tiny_records
  model_dir = str(tmp_path / 'mwms')
  chief = os.path.join(model_dir, 'checkpoints')
  scratch = os.path.join(model_dir, 'workers', 'worker_1', 'checkpoints')
  procs = _start_workers(data_dir, model_dir, epochs=1000)  # Till stopped.
  deadline = time.time() + 300
  while _saved_step(chief) is None:  # Training under way: a first save.
    assert time.time() < deadline and all(p.poll() is None for p in procs), (
        [p.communicate()[1][-3000:] for p in procs])
    time.sleep(0.5)
  procs[1].send_signal(signal.SIGTERM)  # Only the non-chief worker.
  outputs = [p.communicate(timeout=300) for p in procs]
  for p, (_, err) in zip(procs, outputs):
    assert p.returncode == 1, err[-4000:]
    assert 'preempted (SIGTERM); checkpoint saved at step' in err, err[-4000:]
  step = _saved_step(chief)
  assert step == _saved_step(scratch) and step > 0
  assert not os.path.exists(os.path.join(model_dir, 'results.json'))

  steps = info['splits']['train']['windows'] // 8
  epochs = step // steps + 1
  procs = _start_workers(data_dir, model_dir, epochs=epochs)
  outputs = [p.communicate(timeout=600) for p in procs]
  for p, (_, err) in zip(procs, outputs):
    assert p.returncode == 0, err[-4000:]
  results = json.load(open(os.path.join(model_dir, 'results.json')))
  assert results['resumed_from_step'] == step
  assert results['step'] == epochs * steps
