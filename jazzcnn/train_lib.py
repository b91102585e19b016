"""Training: model, optimizer, checkpoints that survive preemption, export."""

import dataclasses
import json
import logging
import os
import posixpath
import signal
import tempfile
import threading

import keras
import tensorflow as tf

from jazzcnn import custom_loop
from jazzcnn import input_pipeline
from jazzcnn import models

OPTIMIZERS = ('rmsprop', 'adam', 'sgd')
SCHEDULES = ('constant', 'cosine')
PRECISIONS = ('', 'mixed_float16', 'mixed_bfloat16')
CLASS_WEIGHTING = ('none', 'balanced')
EXPORT_DIR = 'export'
RESULTS_FILE = 'results.json'


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """Every hyperparameter; flags/default.cfg documents each one."""
  epochs: int = 30
  steps_per_epoch: int = 0  # 0: one pass over the train split.
  batch_size: int = 32  # Global, split across replicas.
  learning_rate: float = 1e-4
  optimizer: str = 'rmsprop'
  lr_schedule: str = 'constant'
  warmup_steps: int = 0
  width: float = 1.0
  dropout: float = 0.25
  spec_mask: bool = False
  class_weighting: str = 'balanced'
  mixed_precision: str = ''
  jit_compile: bool = False
  checkpoint_every: int = 500  # Steps; 0: only at epoch ends.
  keep_checkpoints: int = 3
  shuffle_buffer: int = 256
  cycle_length: int = 4
  seed: int = 0

  def validate(self):
    """Raises ValueError naming the first bad value."""
    checks = [
        (self.epochs >= 1, 'epochs must be >= 1'),
        (self.steps_per_epoch >= 0, 'steps_per_epoch must be >= 0'),
        (self.batch_size >= 1, 'batch_size must be >= 1'),
        (self.learning_rate > 0, 'learning_rate must be > 0'),
        (self.optimizer in OPTIMIZERS, f'optimizer must be one of {OPTIMIZERS}'),
        (self.lr_schedule in SCHEDULES, f'lr_schedule must be one of '
         f'{SCHEDULES}'),
        (self.warmup_steps >= 0, 'warmup_steps must be >= 0'),
        (0 < self.width <= 4, 'width must be in (0, 4]'),
        (0 <= self.dropout < 1, 'dropout must be in [0, 1)'),
        (self.class_weighting in CLASS_WEIGHTING,
         f'class_weighting must be one of {CLASS_WEIGHTING}'),
        (self.mixed_precision in PRECISIONS,
         f'mixed_precision must be one of {PRECISIONS}'),
        (self.checkpoint_every >= 0, 'checkpoint_every must be >= 0'),
        (self.keep_checkpoints >= 1, 'keep_checkpoints must be >= 1'),
    ]
    for ok, message in checks:
      if not ok:
        raise ValueError(f'{message}; got {self}')


def class_weights(info, how):
  """{label: weight} that balances the train split's eras, or None."""
  if how == 'none':
    return None
  counts = list(info['splits']['train']['windows_per_era'].values())
  total, present = sum(counts), sum(1 for c in counts if c)
  return {i: (total / (present * c) if c else 0.0)
          for i, c in enumerate(counts)}


def make_optimizer(config, total_steps):
  lr = config.learning_rate
  if config.lr_schedule == 'cosine':
    lr = keras.optimizers.schedules.CosineDecay(
        0.0 if config.warmup_steps else lr,
        decay_steps=max(1, total_steps - config.warmup_steps),
        warmup_target=lr if config.warmup_steps else None,
        warmup_steps=config.warmup_steps)
  if config.optimizer == 'rmsprop':
    return keras.optimizers.RMSprop(lr)
  if config.optimizer == 'adam':
    return keras.optimizers.Adam(lr)
  return keras.optimizers.SGD(lr, momentum=0.9)


class _Preemption:
  """Turns SIGTERM (the preemption notice of Cloud VMs) into a flag.

  Installed for the whole of training, not per `fit` call: a resumed run
  trains in two `fit` calls, and a signal between them must not kill it.

  `requested` is what the checkpointer acts on. With one worker it is the
  signal itself. With several, each save is collective, so every worker
  must stop at the same step: the distributed loop then sets `coordinated`
  and sums `signalled` over the workers inside each train step, and
  `requested` becomes that agreement (`agreed`).
  """

  def __init__(self):
    self.signalled = False
    self.coordinated = False
    self.agreed = False
    self._old = None

  @property
  def requested(self):
    return self.agreed if self.coordinated else self.signalled

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      self._old = signal.signal(signal.SIGTERM, self._handle)
    return self

  def __exit__(self, *unused_exc):
    if self._old is not None:
      signal.signal(signal.SIGTERM, self._old)

  def _handle(self, signum, frame):
    del signum, frame
    self.signalled = True


class _Checkpointer(keras.callbacks.Callback):
  """Saves (model, optimizer) every N steps and at each epoch end.

  The optimizer's step counter is in the checkpoint, so the epoch and the
  place within it follow from it. On preemption it saves at the next step
  and stops training.
  """

  def __init__(self, manager, every, preemption):
    super().__init__()
    self._manager, self._every, self._preemption = manager, every, preemption

  def _step(self):
    return int(self.model.optimizer.iterations.numpy())

  def on_train_batch_end(self, batch, logs=None):
    step = self._step()
    if self._preemption.requested:
      self._manager.save(checkpoint_number=step)
      logging.warning('SIGTERM: saved step %d; rerun the same command to '
                      'continue', step)
      self.model.stop_training = True
    elif self._every and step % self._every == 0:
      self._manager.save(checkpoint_number=step)

  def on_epoch_end(self, epoch, logs=None):
    self._manager.save(checkpoint_number=self._step())


def _write_dir(model_dir, strategy):
  """Where this worker writes: the model dir on the chief, else a scratch dir.

  Under MultiWorkerMirroredStrategy every worker must save (the save is
  collective) but only the chief's copy is kept.
  """
  resolver = getattr(strategy, 'cluster_resolver', None)
  task_type = getattr(resolver, 'task_type', None)
  task_id = getattr(resolver, 'task_id', 0)
  if task_type in (None, 'chief') or (task_type == 'worker' and task_id == 0
                                      and 'chief' not in (
                                          resolver.cluster_spec().jobs)):
    return model_dir, True
  return posixpath.join(model_dir, 'workers', f'{task_type}_{task_id}'), False


def train_and_evaluate(*, data_dir, model_dir, strategy, config, verbose='auto'):
  """Trains (resuming from model_dir's checkpoints), evaluates and exports.

  Args:
    data_dir: the records builder's output directory.
    model_dir: checkpoints, TensorBoard logs (logs/), results.json and the
      exported model (export/) go here. Rerunning the same command with the
      same model_dir continues from the last checkpoint.
    strategy: a `tf.distribute.Strategy` (see distribute.get_strategy).
    config: a `TrainConfig`.
    verbose: Keras fit verbosity.

  Returns:
    The results dict also written to results.json: final step, validation
    and test loss/accuracy.

  Raises:
    ValueError: for bad config values, missing data, empty splits, or a
      batch size not divisible by the number of replicas.
  """
  config.validate()
  info = input_pipeline.read_info(data_dir)
  for split in ('train', 'validation', 'test'):
    input_pipeline.split_files(data_dir, info, split)
  # Keras 3 fit cannot drive several workers (keras-team/keras#20585).
  custom = (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._num_workers > 1)  # pylint: disable=protected-access
  replicas = strategy.num_replicas_in_sync
  if config.batch_size % replicas:
    raise ValueError(f'batch_size {config.batch_size} is not divisible by the '
                     f'{replicas} replicas of the strategy')
  steps = config.steps_per_epoch or input_pipeline.steps_per_epoch(
      info, 'train', config.batch_size)
  total_steps = steps * config.epochs
  eras = info['eras']
  write_dir, is_chief = _write_dir(model_dir, strategy)

  keras.utils.set_random_seed(config.seed)
  keras.mixed_precision.set_global_policy(config.mixed_precision or 'float32')
  with strategy.scope():
    model = models.build_model(
        len(eras), info['window_samples'], sample_rate=info['sample_rate'],
        width=config.width, dropout=config.dropout, spec_mask=config.spec_mask)
    model.compile(optimizer=make_optimizer(config, total_steps),
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'], jit_compile=config.jit_compile)
    model.optimizer.build(model.trainable_variables)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
  manager = tf.train.CheckpointManager(
      checkpoint, posixpath.join(write_dir, 'checkpoints'),
      max_to_keep=config.keep_checkpoints)
  restored = manager.restore_or_initialize()
  start = int(model.optimizer.iterations.numpy())
  if restored:
    logging.info('resumed from %s at step %d of %d', restored, start,
                 total_steps)

  train = input_pipeline.create_dataset(
      data_dir, 'train', info=info, batch_size=config.batch_size,
      training=True, shuffle_buffer=config.shuffle_buffer,
      cycle_length=config.cycle_length)
  # Keras keeps the validation iterator across epochs when given steps: a
  # repeated pass of exactly `validation_steps` batches lines up each epoch.
  validation = input_pipeline.create_dataset(
      data_dir, 'validation', info=info, batch_size=config.batch_size,
      training=False).repeat()
  validation_steps = input_pipeline.batches_per_pass(info, 'validation',
                                                     config.batch_size)
  preemption = _Preemption()
  checkpointer = _Checkpointer(manager, config.checkpoint_every, preemption)
  callbacks = [
      checkpointer,
      keras.callbacks.TensorBoard(posixpath.join(write_dir, 'logs'),
                                  update_freq=max(1, min(100, steps))),
      keras.callbacks.TerminateOnNaN(),
  ]
  weights = class_weights(info, config.class_weighting)
  # A run stopped mid-epoch first finishes that epoch's remaining steps.
  epoch, done_in_epoch = divmod(start, steps)
  legs = []
  if start < total_steps and done_in_epoch:
    legs.append((epoch, epoch + 1, steps - done_in_epoch))
    epoch += 1
  if epoch < config.epochs:
    legs.append((epoch, config.epochs, steps))
  loop = custom_loop.DistributedLoop(
      model, strategy, global_batch=config.batch_size,
      class_weights=weights, preemption=preemption) if custom else None
  with preemption:
    for first, last, leg_steps in legs:
      if loop:
        loop.fit(train, initial_epoch=first, epochs=last,
                 steps_per_epoch=leg_steps, callbacks=callbacks,
                 validation=validation.take(validation_steps),
                 verbose=verbose)
      else:
        model.fit(train, initial_epoch=first, epochs=last,
                  steps_per_epoch=leg_steps, class_weight=weights,
                  validation_data=validation,
                  validation_steps=validation_steps, callbacks=callbacks,
                  verbose=verbose)
      if preemption.requested:
        raise SystemExit('preempted (SIGTERM); checkpoint saved at step '
                         f'{int(model.optimizer.iterations.numpy())}')

  results = {'step': int(model.optimizer.iterations.numpy()),
             'steps_this_run': int(model.optimizer.iterations.numpy()) - start,
             'resumed_from_step': start, 'eras': eras}
  for split in ('validation', 'test'):
    ds = input_pipeline.create_dataset(
        data_dir, split, info=info, batch_size=config.batch_size,
        training=False)
    if loop:
      results[split] = loop.evaluate(ds)
    else:
      results[split] = model.evaluate(
          ds, verbose=0, return_dict=True,
          steps=input_pipeline.batches_per_pass(info, split,
                                                config.batch_size))
  if is_chief:
    export(model, model_dir, info)
    with tf.io.gfile.GFile(posixpath.join(model_dir, RESULTS_FILE), 'w') as f:
      json.dump(results, f, indent=1)
  return results


def export(model, model_dir, info):
  """Writes export/model.keras, export/saved_model and export/eras.json."""
  out = posixpath.join(model_dir, EXPORT_DIR)
  tf.io.gfile.makedirs(out)
  model.save(posixpath.join(out, 'model.keras'))
  model.export(posixpath.join(out, 'saved_model'), verbose=False)
  meta = {k: info[k] for k in ('eras', 'era_years', 'sample_rate',
                               'window_samples', 'hop_samples', 'trim_seconds')}
  with tf.io.gfile.GFile(posixpath.join(out, 'eras.json'), 'w') as f:
    json.dump(meta, f, indent=1)


def load_exported(model_dir):
  """(model, eras.json dict) from a model dir written by train_and_evaluate."""
  out = posixpath.join(model_dir, EXPORT_DIR)
  path = posixpath.join(out, 'model.keras')
  if not tf.io.gfile.exists(path):
    raise ValueError(f'{path} not found: train a model into {model_dir} first')
  import jazzcnn  # pylint: disable=g-import-not-at-top,unused-import
  local = path
  if '://' in path:  # Keras opens local files only.
    local = os.path.join(tempfile.mkdtemp(prefix='jazzcnn_'), 'model.keras')
    tf.io.gfile.copy(path, local, overwrite=True)
  model = keras.saving.load_model(local)
  with tf.io.gfile.GFile(posixpath.join(out, 'eras.json')) as f:
    return model, json.load(f)
