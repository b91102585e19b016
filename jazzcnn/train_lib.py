"""Training: the run (fit or the distributed loop), resuming, final scores."""

import json
import logging
import posixpath
import re

import keras
import tensorflow as tf

from jazzcnn import checkpoints
from jazzcnn import custom_loop
from jazzcnn import dataset_info
from jazzcnn import distribute
from jazzcnn import evaluate_lib
from jazzcnn import export
from jazzcnn import globs
from jazzcnn import input_pipeline
from jazzcnn import models
from jazzcnn import optimization
from jazzcnn import outputs
from jazzcnn import provenance
from jazzcnn import records_check
from jazzcnn import train_config
from jazzcnn import epoch_validation

RESULTS_FILE = 'results.json'
MODEL_FILE = 'model.json'  # The architecture a model dir's checkpoints hold.
CHECKPOINT_DIR = 'checkpoints'  # The last few steps' checkpoints, to resume.


def plan_epochs(start_step, steps_per_epoch, epochs):
  """The fit calls that finish a run from `start_step`.

  A run stopped mid-epoch first finishes that epoch's remaining steps.

  Returns:
    [(initial_epoch, end_epoch, steps_per_epoch)], possibly empty.
  """
  epoch, done_in_epoch = divmod(start_step, steps_per_epoch)
  legs = []
  if start_step < steps_per_epoch * epochs and done_in_epoch:
    legs.append((epoch, epoch + 1, steps_per_epoch - done_in_epoch))
    epoch += 1
  if epoch < epochs:
    legs.append((epoch, epochs, steps_per_epoch))
  return legs


def holds_weights(model_dir):
  """Whether a run left weights in model_dir: a checkpoint, a best epoch or
  an export (a run that failed before its first checkpoint leaves none)."""
  return bool(
      tf.io.gfile.glob(globs.inside(model_dir, CHECKPOINT_DIR, 'ckpt-*'))
      or checkpoints.read_best(posixpath.join(model_dir, checkpoints.BEST_DIR))
      or tf.io.gfile.glob(globs.inside(model_dir, export.EXPORT_DIR, '*')))


def check_architecture(model_dir, config, info):
  """Records the architecture, and what of the records the weights depend
  on (`provenance.trained_on`: their eras, sample rate, window length
  and which tapes each split holds), in model_dir, or checks them.

  A record without weights beside it (the run failed before its first
  checkpoint, e.g. on a flag that cannot build a model) is replaced.

  Raises:
    ValueError: when model_dir holds checkpoints of another model, or of a
      model trained on other records.
  """
  path = posixpath.join(model_dir, MODEL_FILE)
  wanted = {**config.architecture(), **provenance.trained_on(info)}
  if tf.io.gfile.exists(path):
    with tf.io.gfile.GFile(path) as f:
      held = json.load(f)
    # A key added since the record was written holds its default there
    # (records' keys, unknown then, are not compared).
    held = {**train_config.TrainConfig().architecture(), **held}
    changed = [f'{k} {held[k]}, now {v}' for k, v in wanted.items()
               if k in held and held[k] != v]
    if not changed:
      return
    if holds_weights(model_dir):
      raise ValueError(f'{model_dir} holds a checkpoint of another model '
                       f'({"; ".join(changed)}): use a new --model_dir')
  tf.io.gfile.makedirs(model_dir)
  outputs.write_json(path, wanted)


def _build(config, info, total_steps, strategy):
  keras.utils.set_random_seed(config.seed)
  keras.mixed_precision.set_global_policy(config.mixed_precision or 'float32')
  with strategy.scope():
    model = models.build_model(
        len(info['eras']), info['window_samples'], architecture=config.model,
        sample_rate=info['sample_rate'], width=config.width,
        depth=config.depth, dropout=config.dropout,
        spec_mask=config.spec_mask, chunk_seconds=config.chunk_seconds,
        freeze=config.freeze, train_mid_end=config.train_mid_end)
    lr = optimization.learning_rate(
        config.learning_rate, schedule=config.lr_schedule,
        total_steps=total_steps, warmup_steps=config.warmup_steps)
    model.compile(
        optimizer=optimization.make_optimizer(
            config.optimizer, lr, weight_decay=config.weight_decay,
            clipnorm=config.clipnorm),
        loss=keras.losses.CategoricalCrossentropy(
            label_smoothing=config.label_smoothing),
        metrics=[keras.metrics.CategoricalAccuracy(name='accuracy')],
        jit_compile=config.jit_compile)
    model.optimizer.build(model.trainable_variables)
  return model


def _start(data_dir, model_dir, strategy, config):
  """Checks the run, builds the model and restores its last checkpoint.

  Returns:
    (info, write dir, is chief, steps per epoch, model, checkpoint manager).
  """
  checkpoints.check_directory(model_dir)
  config.validate()
  info = dataset_info.read(data_dir)
  for split in dataset_info.SPLITS:
    dataset_info.split_files(data_dir, info, split)
  dataset_info.check_learnable(data_dir, info)
  for missing in dataset_info.missing_eras(info, ['train']):
    logging.warning('%s: the model cannot learn to predict them', missing)
  replicas = strategy.num_replicas_in_sync
  if config.deterministic and replicas > 1:
    logging.warning(
        '--deterministic repeats a run exactly on one replica only: with %d, '
        'Keras\' Dropout layers share one seed state that the replicas race '
        'to update (keras-team/keras#20611)', replicas)
  if config.batch_size % replicas:
    raise ValueError(f'batch_size {config.batch_size} is not divisible by the '
                     f'{replicas} replicas of the strategy')
  out_dir, is_chief = distribute.write_dir(model_dir, strategy)
  if is_chief:
    check_architecture(model_dir, config, info)
  steps = config.steps_per_epoch or input_pipeline.steps_per_epoch(
      info, 'train', config.batch_size)
  total_steps = steps * config.epochs
  model = _build(config, info, total_steps, strategy)
  with strategy.scope():
    checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
  manager = tf.train.CheckpointManager(
      checkpoint, posixpath.join(out_dir, CHECKPOINT_DIR),
      max_to_keep=config.keep_checkpoints)
  restored = restore_last(manager, model_dir)
  if restored:
    logging.info('resumed from %s at step %d of %d', restored,
                 int(model.optimizer.iterations.numpy()), total_steps)
  return info, out_dir, is_chief, steps, model, manager


# The errors of a checkpoint's value that does not fit the model's
# variable, as (checkpoint's shape, model's shape, variable): TensorFlow's,
# and Keras' (from `assign`, where a strategy restores).
_NOT_FITTING = (
    (re.compile(r'Received incompatible tensor with shape (\(.*?\)) when '
                r'attempting to restore variable with shape (\(.*?\)) and '
                r'name ([^ ]+?)(?::\d+)?\.'), (1, 2, 3)),
    (re.compile(r'variable\.shape=(\(.*?\)), Received: '
                r'value\.shape=(\(.*?\))\. Target variable: '
                r'<Variable path=([^,]+),'), (2, 1, 3)))


def restore_last(manager, model_dir):
  """`manager.restore_or_initialize()`: the last checkpoint's path, or None.

  `check_architecture` refuses another model by the record beside the
  checkpoints; a record written before it held the records' keys, or
  edited, cannot. Then the weights themselves do not fit, and the error
  is long (under a strategy, Keras' prints every value of the variable).

  Raises:
    ValueError: in one line, naming the first variable that does not fit.
  """
  try:
    return manager.restore_or_initialize()
  except ValueError as e:
    for pattern, groups in _NOT_FITTING:
      match = pattern.search(str(e))
      if match:
        break
    else:
      raise
    theirs, ours, path = (match.group(g) for g in groups)
    _expect_partial(e.__traceback__)
  raise ValueError(f'{model_dir} holds a checkpoint of another model '
                   f'({path} is {theirs} there, {ours} here): use a new '
                   '--model_dir')


def _expect_partial(traceback):
  """Marks the failed restore in `traceback`'s frames as partial.

  TensorFlow's restore coordinator, when it is freed (here at exit), logs
  every value of the checkpoint it did not restore, a dozen lines after
  the error's one, unless its restore was marked partial; a failed restore
  returns no status to mark, so its coordinator is found in the frames.
  """
  while traceback is not None:
    for value in traceback.tb_frame.f_locals.values():
      if type(value).__name__ == '_CheckpointRestoreCoordinator':
        value.expect_partial = True
    traceback = traceback.tb_next


def _finish(model, data_dir, model_dir, info, config, *, start, best_dir,
            is_chief, validation):
  """Restores the best epoch, scores it, and (chief) exports it.

  `validation()` → the model's validation predictions (see
  `epoch_validation.predictor`).
  """
  step = int(model.optimizer.iterations.numpy())
  best = checkpoints.restore_best(model, best_dir)
  results = {'step': step, 'steps_this_run': step - start,
             'resumed_from_step': start, 'eras': info['eras'],
             'model': config.architecture(),
             'best': best or {'step': step, 'note': 'no validation score '
                                                    'was kept; last weights'}}
  results['validation'] = evaluate_lib.split_metrics(*validation(), info)
  results['test'] = evaluate_lib.evaluate_split(
      model, data_dir, info, 'test', batch_size=config.batch_size)
  if is_chief:
    export.export(model, model_dir, info, architecture=config.architecture())
    outputs.write_json(posixpath.join(model_dir, RESULTS_FILE), results)
  return results


# Over 60 lines only with its docstring (every argument documented).
def train_and_evaluate(*, data_dir, model_dir, strategy, config, verbose='auto'):
  """Trains (resuming from model_dir's checkpoints), evaluates and exports.

  After training, the weights of the epoch with the best validation
  balanced accuracy are restored, scored on validation and test and
  exported.

  Args:
    data_dir: the records builder's output directory.
    model_dir: checkpoints, best/, TensorBoard logs (logs/), results.json
      and the exported model (export/) go here. Rerunning the same command
      with the same model_dir continues from the last checkpoint.
    strategy: a `tf.distribute.Strategy` (see distribute.get_strategy).
    config: a `train_config.TrainConfig`.
    verbose: Keras fit verbosity.

  Returns:
    The results dict also written to results.json.

  Raises:
    ValueError: for bad config values, missing data, empty splits, a batch
      size not divisible by replicas, a glob-like or another model's model_dir.
    checkpoints.Diverged: when the loss or weights stop being finite;
      nothing is exported and no non-finite checkpoint is saved.
  """
  info, out_dir, is_chief, steps, model, manager = _start(
      data_dir, model_dir, strategy, config)
  start = int(model.optimizer.iterations.numpy())
  train = input_pipeline.create_dataset(
      data_dir, 'train', info=info, batch_size=config.batch_size,
      training=True, shuffle_buffer=config.shuffle_buffer,
      cycle_length=config.cycle_length, balanced=config.balanced_batches,
      one_hot=True, mixup_alpha=config.mixup,
      seed=config.seed if config.deterministic else None,
      deterministic=config.deterministic)
  validation = epoch_validation.predictor(
      model, data_dir, info, architecture=config.model,
      batch_size=config.batch_size)
  preemption = checkpoints.Preemption()
  best_dir = posixpath.join(out_dir, checkpoints.BEST_DIR)
  callbacks = [
      checkpoints.Validation(
          lambda: epoch_validation.scores(*validation()[:2], len(info['eras'])),
          best_dir),
      checkpoints.Checkpointer(manager, config.checkpoint_every, preemption),
      keras.callbacks.TensorBoard(posixpath.join(out_dir, 'logs'),
                                  update_freq=max(1, min(100, steps))),
  ]
  weights = optimization.class_weights(
      dataset_info.windows_per_era(info, 'train'), config.class_weighting)
  loop = custom_loop.make_loop(model, strategy, global_batch=config.batch_size,
                               class_weights=weights, preemption=preemption,
                               label_smoothing=config.label_smoothing)
  with preemption:
    try:
      for first, last, leg_steps in plan_epochs(start, steps, config.epochs):
        loop.fit(train, initial_epoch=first, epochs=last,
                 steps_per_epoch=leg_steps, callbacks=callbacks,
                 class_weight=weights, verbose=verbose)
        if preemption.requested:
          raise SystemExit('preempted (SIGTERM); checkpoint saved at step '
                           f'{int(model.optimizer.iterations.numpy())}')
    except tf.errors.DataLossError:  # Names no file; find the shard.
      raise records_check.first_corruption(data_dir, info, ['train']) from None
  return _finish(model, data_dir, model_dir, info, config, start=start,
                 best_dir=best_dir, is_chief=is_chief, validation=validation)
