"""The trainer, run as a user runs it: the command, flagfiles, real records."""

import dataclasses
import gc
import glob
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import conftest
from jazzcnn import checkpoints
from jazzcnn import dataset_info
from jazzcnn import distribute
from jazzcnn import evaluate_lib
from jazzcnn import export
from jazzcnn import plots
from jazzcnn import train_config
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
  steps = conftest.SMOKE_STEPS
  epochs = 4  # cpu_smoke.
  assert results['step'] == epochs * steps == results['steps_this_run']
  assert results['resumed_from_step'] == 0
  for split in ('validation', 'test'):
    assert np.isfinite(results[split]['loss'])
    assert 0 <= results[split]['window_balanced_accuracy'] <= 1
    # One tape per era here: nothing to resample, so no interval.
    assert max(info['splits'][split]['tapes_per_era'].values()) == 1
    assert results[split]['window_balanced_accuracy_ci'] is None
  assert _latest_step(model_dir) == epochs * steps
  # It learns: the training loss falls, and validation was scored each epoch.
  scalars = plots.read_scalars(os.path.join(model_dir, 'logs'))
  loss = scalars['train']['epoch_loss']
  assert len(loss) == epochs and loss[-1][1] < loss[0][1], loss
  assert len(scalars['validation']['epoch_balanced_accuracy']) == epochs
  assert results['best']['epoch'] in range(1, epochs + 1)
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
  model, meta = export.load_exported(model_dir)
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
  epochs = 40
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
    (['--learning_rate=-1'],
     'learning_rate must be > 0, got learning_rate=-1.0 ('),
    (['--model_dir='], '--model_dir is required'),
    (['--cycle_length=0'], 'cycle_length must be >= 1, got cycle_length=0 ('),
    (['--jit_compile'], '--jit_compile cannot run on --virtual_cpus'),
    (['--model=vgg'], 'model'),
    (['--model=musicnn_msd'], 'musicnn_msd is pretrained: --width must be 1'),
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


def test_a_diverged_run_fails_exports_nothing_and_saves_no_nan(tiny_records,
                                                               tmp_path):
  data_dir, _ = tiny_records
  model_dir = str(tmp_path / 'nan')
  command = _train_command(data_dir, model_dir, '--optimizer=sgd',
                           '--learning_rate=1e12', '--clipnorm=0',
                           '--checkpoint_every=1', '--epochs=1')
  for _ in range(2):  # A rerun resumes from the last finite checkpoint.
    result = _run(command)
    assert result.returncode == 1, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('train: training diverged at step'), last
    assert 'Traceback' not in result.stderr
    assert not os.path.exists(os.path.join(model_dir, 'export'))
    assert not os.path.exists(os.path.join(model_dir, 'results.json'))
    for path in glob.glob(os.path.join(model_dir, 'checkpoints', '*.index')):
      reader = tf.train.load_checkpoint(path[:-len('.index')])
      for name in reader.get_variable_to_shape_map():
        value = reader.get_tensor(name)
        if np.issubdtype(np.asarray(value).dtype, np.floating):
          assert np.isfinite(value).all(), name


def test_resuming_with_another_width_is_one_clear_line(smoke_run, tmp_path):
  data_dir, _, model_dir, _ = smoke_run
  result = _run(_train_command(data_dir, model_dir, '--width=0.25'))
  assert result.returncode != 0
  assert 'holds a checkpoint of another model (width 0.125, now 0.25)' in \
      result.stderr
  assert 'Traceback' not in result.stderr


_INFO = {'eras': ['early', 'swing', 'bop', 'cool'], 'sample_rate': 16000,
         'window_samples': 240000, 'hop_samples': 240000}


def test_a_checkpoint_trained_on_other_records_is_not_resumed(tmp_path):
  """Another fold of the same corpus (its test tapes among the checkpoint's
  training tapes) is refused; a rebuild of the same split resumes."""
  config = train_config.TrainConfig()
  fold_0 = {**_INFO, 'created': 'Monday', 'splits': {
      'train': {'tape_ids': ['a', 'b'], 'windows': 8},
      'test': {'tape_ids': ['c'], 'windows': 4}}}
  rebuilt = {**fold_0, 'created': 'Tuesday'}
  fold_1 = {**_INFO, 'splits': {
      'train': {'tape_ids': ['a', 'c'], 'windows': 8},
      'test': {'tape_ids': ['b'], 'windows': 4}}}
  train_lib.check_architecture(str(tmp_path), config, fold_0)
  (tmp_path / train_lib.CHECKPOINT_DIR).mkdir()
  (tmp_path / train_lib.CHECKPOINT_DIR / 'ckpt-3.index').write_text('')
  train_lib.check_architecture(str(tmp_path), config, rebuilt)
  with pytest.raises(ValueError, match=(
      r'holds a checkpoint of another model \(split_tapes '
      f'{dataset_info.split_tapes(fold_0)}, now '
      rf'{dataset_info.split_tapes(fold_1)}\): use a new --model_dir')):
    train_lib.check_architecture(str(tmp_path), config, fold_1)


def test_a_model_record_older_than_a_key_holds_its_default(tmp_path):
  config = train_config.TrainConfig(model='musicnn_msd', freeze=True)
  held = config.architecture()
  del held['train_mid_end']  # As written before the flag existed.
  (tmp_path / train_lib.MODEL_FILE).write_text(json.dumps(held))
  (tmp_path / train_lib.CHECKPOINT_DIR).mkdir()
  (tmp_path / train_lib.CHECKPOINT_DIR / 'ckpt-1.index').write_bytes(b'')
  train_lib.check_architecture(str(tmp_path), config, _INFO)  # Resumes.
  with pytest.raises(ValueError, match='train_mid_end False, now True'):
    train_lib.check_architecture(
        str(tmp_path), dataclasses.replace(config, train_mid_end=True), _INFO)


def test_resuming_on_records_of_other_eras_or_windows_is_refused(tmp_path):
  config = train_config.TrainConfig(model='musicnn_msd', freeze=True)
  train_lib.check_architecture(str(tmp_path), config, _INFO)
  (tmp_path / train_lib.CHECKPOINT_DIR).mkdir()
  (tmp_path / train_lib.CHECKPOINT_DIR / 'ckpt-1.index').write_bytes(b'')
  other_hop = dict(_INFO, hop_samples=120000)  # Same model input: resumes.
  train_lib.check_architecture(str(tmp_path), config, other_hop)
  with pytest.raises(ValueError, match=r"\(eras \['early', 'swing', 'bop', "
                     r"'cool'\], now \['early', 'late'\]\)"):
    train_lib.check_architecture(str(tmp_path), config,
                                 dict(_INFO, eras=['early', 'late']))
  with pytest.raises(ValueError, match='window_samples 240000, now 160000'):
    train_lib.check_architecture(str(tmp_path), config,
                                 dict(_INFO, window_samples=160000))


def test_a_run_that_left_no_weights_does_not_hold_its_model_dir(tmp_path):
  # `--model=shortres --freeze` records its architecture, then fails to
  # build: the user's corrected rerun in the same directory must start.
  failed = train_config.TrainConfig(model='shortres', freeze=True)
  fixed = train_config.TrainConfig(model='shortres')
  train_lib.check_architecture(str(tmp_path), failed, _INFO)
  for empty in (train_lib.CHECKPOINT_DIR, checkpoints.BEST_DIR, 'export'):
    (tmp_path / empty).mkdir()
  assert not train_lib.holds_weights(str(tmp_path))
  train_lib.check_architecture(str(tmp_path), fixed, _INFO)
  record = json.loads((tmp_path / train_lib.MODEL_FILE).read_text())
  assert record == {**fixed.architecture(), 'eras': _INFO['eras'],
                    'sample_rate': 16000, 'window_samples': 240000,
                    'split_tapes': dataset_info.split_tapes(_INFO)}
  # Once a checkpoint, a best epoch or an export is there, it holds.
  for weights in (f'{train_lib.CHECKPOINT_DIR}/ckpt-3.index',
                  f'{checkpoints.BEST_DIR}/best.json', 'export/model.keras'):
    for path in tmp_path.glob('*/*'):
      path.unlink()
    (tmp_path / weights).write_text('{"prefix": "step-3"}')
    assert train_lib.holds_weights(str(tmp_path)), weights
    with pytest.raises(ValueError, match='holds a checkpoint of another model '
                       r'\(freeze False, now True\)'):
      train_lib.check_architecture(str(tmp_path), failed, _INFO)


def test_the_best_epoch_is_kept_and_restored_not_the_last(tmp_path):
  model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
  model.compile('sgd', 'mse')
  # Epoch 2 is the best; epoch 3 ties it with a higher loss.
  scores = iter([(0.5, 1.0), (0.9, 0.5), (0.9, 0.7)])

  def score():
    balanced, loss = next(scores)
    return {'loss': loss, 'accuracy': 0.5, 'balanced_accuracy': balanced}

  seen = []
  callbacks = [
      checkpoints.Validation(score, str(tmp_path / 'best')),
      keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(
          ([w.copy() for w in model.get_weights()], dict(logs)))),
  ]
  x = np.random.default_rng(0).normal(size=(16, 3))
  model.fit(x, x[:, :2] * 3, epochs=3, verbose=0, callbacks=callbacks)
  assert seen[1][1]['val_balanced_accuracy'] == 0.9
  best = checkpoints.restore_best(model, str(tmp_path / 'best'))
  assert best['epoch'] == 2 and best['val_balanced_accuracy'] == 0.9
  for restored, at_epoch_2 in zip(model.get_weights(), seen[1][0]):
    np.testing.assert_array_equal(restored, at_epoch_2)
  assert not np.allclose(seen[1][0][0], seen[2][0][0])  # Last differs.
  # Resuming keeps the best so far: a worse epoch does not replace it, a
  # tie with a lower loss does.
  for balanced, loss, kept in ((0.7, 0.1, 2), (0.9, 0.4, 5)):
    again = checkpoints.Validation(
        lambda b=balanced, l=loss: {'loss': l, 'accuracy': 0.5,
                                    'balanced_accuracy': b},
        str(tmp_path / 'best'))
    again.set_model(model)
    again.on_epoch_end(4, {})
    assert checkpoints.read_best(str(tmp_path / 'best'))['epoch'] == kept


def test_a_frozen_run_reports_the_whole_models_validation_scores(
    tiny_records, tmp_path):
  data_dir, info = tiny_records
  config = train_config.TrainConfig(
      model='musicnn_msd', freeze=True, chunk_seconds=0.25, batch_size=4,
      epochs=2, steps_per_epoch=3, learning_rate=1e-3, dropout=0.0,
      checkpoint_every=0)
  model_dir = str(tmp_path / 'm')
  results = train_lib.train_and_evaluate(
      data_dir=data_dir, model_dir=model_dir, verbose=0, config=config,
      strategy=tf.distribute.get_strategy())
  exported, _ = export.load_exported(model_dir)  # The best epoch's weights.
  whole = evaluate_lib.evaluate_split(exported, data_dir, info, 'validation',
                                      batch_size=4)
  for key in ('loss', 'window_balanced_accuracy', 'tape_balanced_accuracy'):
    assert results['validation'][key] == pytest.approx(whole[key],
                                                        abs=1e-5), key
  best = checkpoints.read_best(os.path.join(model_dir, checkpoints.BEST_DIR))
  assert best['val_loss'] == pytest.approx(whole['loss'], abs=1e-5)


def test_deterministic_runs_train_the_same_weights(tiny_records, tmp_path):
  data_dir, _ = tiny_records
  runs = []
  # Python hashes strings differently in each process unless told not to;
  # that once changed TensorFlow's op seeds (layers._op_seed).
  for name, hash_seed in (('a', '1'), ('b', '2')):
    model_dir = tmp_path / name
    result = _run(_train_command(
        data_dir, model_dir, '--deterministic', '--epochs=2',
        '--steps_per_epoch=4', '--checkpoint_every=0', '--mixup=0.2',
        '--model=musicnn_msd', '--freeze', '--width=1', '--depth=0',
        '--chunk_seconds=0.25', '--spec_mask', '--virtual_cpus=0'),
        env={**os.environ, 'PYTHONHASHSEED': hash_seed})
    assert result.returncode == 0, result.stderr[-3000:]
    loss = plots.read_scalars(str(model_dir / 'logs'))['train']['epoch_loss']
    runs.append((json.load(open(model_dir / 'results.json')),
                 [value for _, value in loss]))
  (first, first_loss), (second, second_loss) = runs
  assert first_loss == second_loss
  for split in ('validation', 'test'):
    assert first[split]['loss'] == second[split]['loss']


def test_plan_epochs_finishes_a_stopped_epoch_first():
  assert train_lib.plan_epochs(0, 10, 3) == [(0, 3, 10)]
  assert train_lib.plan_epochs(14, 10, 3) == [(1, 2, 6), (2, 3, 10)]
  assert train_lib.plan_epochs(20, 10, 3) == [(2, 3, 10)]
  assert train_lib.plan_epochs(29, 10, 3) == [(2, 3, 1)]
  assert train_lib.plan_epochs(30, 10, 3) == []


class _Resolver:

  def __init__(self, task_type, task_id, jobs):
    self.task_type, self.task_id, self._jobs = task_type, task_id, jobs

  def cluster_spec(self):
    return tf.train.ClusterSpec({j: ['localhost:1'] for j in self._jobs})


class _Strategy:

  def __init__(self, resolver):
    self.cluster_resolver = resolver


@pytest.mark.parametrize('resolver, expected', [
    (None, ('m', True)),
    (_Resolver('chief', 0, ['chief', 'worker']), ('m', True)),
    (_Resolver('worker', 0, ['worker']), ('m', True)),
    (_Resolver('worker', 0, ['chief', 'worker']), ('m/workers/worker_0', False)),
    (_Resolver('worker', 1, ['worker']), ('m/workers/worker_1', False)),
])
def test_only_the_chief_writes_into_the_model_dir(resolver, expected):
  assert distribute.write_dir('m', _Strategy(resolver)) == expected


def _saved_manager(directory, units, strategy):
  with strategy.scope():
    model = keras.Sequential([keras.Input((8,)),
                              keras.layers.Dense(units, name='out')],
                             name='net')
    return tf.train.CheckpointManager(tf.train.Checkpoint(model=model),
                                      str(directory), max_to_keep=1)


class _Lines(logging.Handler):

  def __init__(self):
    super().__init__()
    self.lines = []

  def emit(self, record):
    self.lines.append(record.getMessage())


# TensorFlow's restore and, under a strategy, Keras' assign word the
# mismatch differently.
@pytest.mark.parametrize('strategy', [tf.distribute.get_strategy,
                                      tf.distribute.MirroredStrategy])
def test_weights_that_do_not_fit_are_one_line(tmp_path, strategy):
  # A model.json that cannot tell (older than its record keys, or edited):
  # the checkpoint's own shapes refuse the model, in one line, and the
  # failed restore logs nothing more when it is freed.
  strategy = strategy()
  _saved_manager(tmp_path, 4, strategy).save()
  assert train_lib.restore_last(_saved_manager(tmp_path, 4, strategy),
                                'run').endswith('ckpt-1')
  other = _saved_manager(tmp_path, 3, strategy)
  logged = _Lines()
  logging.getLogger('tensorflow').addHandler(logged)
  try:
    with pytest.raises(ValueError) as raised:
      train_lib.restore_last(other, 'run')
    message = str(raised.value)
    del other, raised  # And the failed restore with them.
    gc.collect()
  finally:
    logging.getLogger('tensorflow').removeHandler(logged)
  assert not logged.lines
  assert message == (
      'run holds a checkpoint of another model (net/out/kernel is (8, 4) '
      'there, (8, 3) here): use a new --model_dir')
  assert train_lib.restore_last(_saved_manager(tmp_path / 'new', 3, strategy),
                                'run') is None
