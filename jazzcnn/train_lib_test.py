"""The trainer, run as a user runs it: the command, flagfiles, real records."""

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

import conftest
from jazzcnn import train_lib

_train_command = conftest.train_command
_run = conftest.run
ROOT = conftest.ROOT


def _latest_step(model_dir):
  latest = tf.train.latest_checkpoint(os.path.join(model_dir, 'checkpoints'))
  return int(latest.rsplit('-', 1)[1]) if latest else 0


def test_smoke_run_trains_evaluates_and_exports(smoke_run):
  data_dir, info, model_dir, result = smoke_run
  assert 'with 2 replicas' in result.stderr  # mirrored on 2 virtual CPUs.
  results = json.load(open(os.path.join(model_dir, 'results.json')))
  steps = info['splits']['train']['windows'] // 8  # cpu_smoke: batch 8.
  assert results['step'] == 2 * steps == results['steps_this_run']
  assert results['resumed_from_step'] == 0
  for split in ('validation', 'test'):
    assert 0 <= results[split]['accuracy'] <= 1
    assert np.isfinite(results[split]['loss'])
  assert _latest_step(model_dir) == 2 * steps
  assert glob.glob(os.path.join(model_dir, 'logs', 'train', 'events.out.*'))
  eras = json.load(open(os.path.join(model_dir, 'export', 'eras.json')))
  assert eras['eras'] == info['eras']
  assert eras['window_samples'] == info['window_samples']


def test_exported_models_load_and_agree(smoke_run, tmp_path):
  _, info, model_dir, _ = smoke_run
  x = np.random.default_rng(1).integers(-3000, 3000, (3, 16000), np.int16)
  np.save(tmp_path / 'x.npy', x)
  # A fresh process: `import jazzcnn` must be enough to open the .keras file.
  script = (
      'import sys, numpy as np, keras, jazzcnn\n'
      f'm = keras.saving.load_model({model_dir!r} + "/export/model.keras")\n'
      f'np.save({str(tmp_path)!r} + "/y.npy", m.predict(np.load('
      f'{str(tmp_path)!r} + "/x.npy"), verbose=0))\n')
  result = _run([sys.executable, '-c', script])
  assert result.returncode == 0, result.stderr[-3000:]
  from_keras = np.load(tmp_path / 'y.npy')
  served = tf.saved_model.load(os.path.join(model_dir, 'export', 'saved_model'))
  from_saved_model = served.serve(tf.constant(x)).numpy()
  np.testing.assert_allclose(from_keras, from_saved_model, rtol=1e-4,
                             atol=1e-6)
  assert from_keras.shape == (3, len(info['eras']))
  model, meta = train_lib.load_exported(model_dir)
  np.testing.assert_allclose(model.predict(x, verbose=0), from_keras,
                             rtol=1e-4, atol=1e-6)
  assert meta['eras'] == info['eras']


def _start_and_wait_for_checkpoint(command, model_dir, past_step):
  proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 300
  while _latest_step(model_dir) <= past_step:
    assert proc.poll() is None, proc.stderr.read()[-3000:]
    assert time.time() < deadline, 'no checkpoint in time'
    time.sleep(0.05)
  return proc


def test_killed_and_preempted_runs_resume_where_they_stopped(tiny_records,
                                                             tmp_path):
  data_dir, info = tiny_records
  model_dir = str(tmp_path / 'run')
  steps = info['splits']['train']['windows'] // 8
  epochs = 60
  command = _train_command(data_dir, model_dir, f'--epochs={epochs}',
                           '--checkpoint_every=2')
  # 1. Killed outright (a lost VM): only the checkpoints survive.
  proc = _start_and_wait_for_checkpoint(command, model_dir, past_step=3)
  proc.kill()
  proc.wait()
  killed_at = _latest_step(model_dir)
  assert 3 < killed_at < epochs * steps
  # 2. Preempted (SIGTERM): saves at the next step and stops.
  proc = _start_and_wait_for_checkpoint(command, model_dir,
                                        past_step=killed_at + 1)
  proc.send_signal(signal.SIGTERM)
  stderr = proc.communicate(timeout=120)[1]
  assert proc.returncode != 0 and 'preempted' in stderr, stderr[-3000:]
  resumed = re.search(r'resumed from \S+ at step (\d+)', stderr)
  assert resumed and int(resumed.group(1)) == killed_at
  preempted_at = _latest_step(model_dir)
  assert killed_at < preempted_at < epochs * steps
  # 3. The same command finishes the job from there.
  result = _run(command)
  assert result.returncode == 0, result.stderr[-3000:]
  results = json.load(open(os.path.join(model_dir, 'results.json')))
  assert results['resumed_from_step'] == preempted_at
  assert results['step'] == epochs * steps
  assert results['steps_this_run'] == epochs * steps - preempted_at


@pytest.mark.parametrize('flags,message', [
    (['--strategy=nope'], 'strategy'),
    (['--batch_size=3'], 'not divisible by the 2 replicas'),
    (['--learning_rate=-1'], 'learning_rate must be > 0'),
    (['--model_dir='], '--model_dir is required'),
    (['--jit_compile'], '--jit_compile cannot run on --virtual_cpus'),
])
def test_bad_flags_fail_with_one_clear_message(tiny_records, tmp_path, flags,
                                               message):
  data_dir, _ = tiny_records
  result = _run(_train_command(data_dir, str(tmp_path / 'm'), *flags))
  assert result.returncode != 0
  assert message in result.stderr
  assert 'Traceback' not in result.stderr


def test_missing_data_and_empty_split_fail_clearly(tiny_records, tmp_path):
  data_dir, info = tiny_records
  result = _run(_train_command(str(tmp_path / 'none'), str(tmp_path / 'm')))
  assert result.returncode != 0 and 'dataset_info.json not found' in \
      result.stderr and 'Traceback' not in result.stderr
  empty = tmp_path / 'empty'
  empty.mkdir()
  info = dict(info, splits=dict(info['splits'],
                                validation={'windows': 0, 'files': []}))
  (empty / 'dataset_info.json').write_text(json.dumps(info))
  result = _run(_train_command(str(empty), str(tmp_path / 'm')))
  assert result.returncode != 0 and "'validation'" in result.stderr
  assert 'is empty' in result.stderr and 'Traceback' not in result.stderr


def test_mixed_precision_and_xla_train(tiny_records, tmp_path):
  # bfloat16 and XLA on the CPU: the flags GPUs/TPUs use, exercised here.
  data_dir, info = tiny_records
  model_dir = str(tmp_path / 'bf16')
  result = _run(_train_command(data_dir, model_dir, '--epochs=1',
                               '--mixed_precision=mixed_bfloat16',
                               '--jit_compile', '--spec_mask',
                               '--virtual_cpus=0'))
  assert result.returncode == 0, result.stderr[-4000:]
  results = json.load(open(os.path.join(model_dir, 'results.json')))
  assert results['step'] == info['splits']['train']['windows'] // 8
  assert np.isfinite(results['test']['loss'])
