"""Trains the era classifier on the records builder's TFRecords.

  python -m jazzcnn.train --flagfile=flags/default.cfg --strategy=mirrored \
      --data_dir=tfrecords/ --model_dir=runs/NAME

Rerunning the same command continues from the last checkpoint in model_dir.
"""

import json
import logging as std_logging

from absl import app
from absl import flags
from absl import logging

from jazzcnn import distribute
from jazzcnn import train_lib

_DEFAULTS = train_lib.TrainConfig()

_DATA_DIR = flags.DEFINE_string(
    'data_dir', 'tfrecords/', 'Output of build_records (local or gs://).')
_MODEL_DIR = flags.DEFINE_string(
    'model_dir', None, 'Checkpoints, TensorBoard logs, results.json and the '
    'exported model (local or gs://). Required.')
_STRATEGY = flags.DEFINE_enum(
    'strategy', 'mirrored', list(distribute.STRATEGIES),
    'tf.distribute strategy: mirrored = all local GPUs (or --virtual_cpus); '
    'multi_worker_mirrored reads TF_CONFIG; tpu uses --tpu.')
_TPU = flags.DEFINE_string('tpu', '', 'TPU name or address for --strategy=tpu; '
                           'empty: the local Cloud TPU VM.')
_VIRTUAL_CPUS = flags.DEFINE_integer(
    'virtual_cpus', 0, 'Split the CPU into N logical devices, so mirrored '
    'has N replicas without a GPU; 0 or 1: do not split.')
_EPOCHS = flags.DEFINE_integer('epochs', _DEFAULTS.epochs, 'Training epochs.')
_STEPS_PER_EPOCH = flags.DEFINE_integer(
    'steps_per_epoch', _DEFAULTS.steps_per_epoch,
    'Steps per epoch; 0: one pass over the train split (dataset_info.json).')
_BATCH_SIZE = flags.DEFINE_integer(
    'batch_size', _DEFAULTS.batch_size,
    'Global batch size, split evenly across replicas.')
_LEARNING_RATE = flags.DEFINE_float('learning_rate', _DEFAULTS.learning_rate,
                                    'Peak learning rate.')
_OPTIMIZER = flags.DEFINE_enum('optimizer', _DEFAULTS.optimizer,
                               list(train_lib.OPTIMIZERS), 'Optimizer.')
_LR_SCHEDULE = flags.DEFINE_enum(
    'lr_schedule', _DEFAULTS.lr_schedule, list(train_lib.SCHEDULES),
    'constant, or cosine decay to 0 over all steps.')
_WARMUP_STEPS = flags.DEFINE_integer(
    'warmup_steps', _DEFAULTS.warmup_steps,
    'Linear warmup steps of the cosine schedule; 0: none.')
_WIDTH = flags.DEFINE_float(
    'width', _DEFAULTS.width, 'Multiplies every layer width; 1.0 is the seed '
    'model (smaller only for smoke tests).')
_DROPOUT = flags.DEFINE_float('dropout', _DEFAULTS.dropout,
                              'Rate of every Dropout layer.')
_SPEC_MASK = flags.DEFINE_bool(
    'spec_mask', _DEFAULTS.spec_mask,
    'SpecAugment-style frequency/time masking on the device, training only.')
_CLASS_WEIGHTING = flags.DEFINE_enum(
    'class_weighting', _DEFAULTS.class_weighting,
    list(train_lib.CLASS_WEIGHTING),
    'balanced: weight each era\'s windows by total / (eras * its count).')
_MIXED_PRECISION = flags.DEFINE_enum(
    'mixed_precision', _DEFAULTS.mixed_precision, list(train_lib.PRECISIONS),
    'Keras mixed precision policy: mixed_float16 (GPU), mixed_bfloat16 '
    '(TPU); empty: float32.')
_JIT_COMPILE = flags.DEFINE_bool('jit_compile', _DEFAULTS.jit_compile,
                                 'Compile the train step with XLA.')
_CHECKPOINT_EVERY = flags.DEFINE_integer(
    'checkpoint_every', _DEFAULTS.checkpoint_every,
    'Save a checkpoint every N steps (and at every epoch end); 0: epoch ends '
    'only.')
_KEEP_CHECKPOINTS = flags.DEFINE_integer(
    'keep_checkpoints', _DEFAULTS.keep_checkpoints, 'Checkpoints kept.')
_SHUFFLE_BUFFER = flags.DEFINE_integer(
    'shuffle_buffer', _DEFAULTS.shuffle_buffer,
    'Windows in the shuffle buffer (~0.5 MB each at 15 s).')
_CYCLE_LENGTH = flags.DEFINE_integer('cycle_length', _DEFAULTS.cycle_length,
                                     'Shards read in parallel.')
_SEED = flags.DEFINE_integer('seed', _DEFAULTS.seed, 'Random seed.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  if not _MODEL_DIR.value:
    raise app.UsageError('--model_dir is required')
  # TensorFlow logs a line per checkpoint save at INFO: keep ours, drop those.
  logging.get_absl_handler().addFilter(
      lambda r: r.levelno >= std_logging.WARNING or '/tensorflow/' not in
      r.pathname)
  config = train_lib.TrainConfig(
      epochs=_EPOCHS.value, steps_per_epoch=_STEPS_PER_EPOCH.value,
      batch_size=_BATCH_SIZE.value, learning_rate=_LEARNING_RATE.value,
      optimizer=_OPTIMIZER.value, lr_schedule=_LR_SCHEDULE.value,
      warmup_steps=_WARMUP_STEPS.value, width=_WIDTH.value,
      dropout=_DROPOUT.value, spec_mask=_SPEC_MASK.value,
      class_weighting=_CLASS_WEIGHTING.value,
      mixed_precision=_MIXED_PRECISION.value, jit_compile=_JIT_COMPILE.value,
      checkpoint_every=_CHECKPOINT_EVERY.value,
      keep_checkpoints=_KEEP_CHECKPOINTS.value,
      shuffle_buffer=_SHUFFLE_BUFFER.value, cycle_length=_CYCLE_LENGTH.value,
      seed=_SEED.value)
  if _JIT_COMPILE.value and _VIRTUAL_CPUS.value > 1:
    raise app.UsageError(
        '--jit_compile cannot run on --virtual_cpus: XLA places mirrored '
        'variables on one CPU device (tensorflow.org/xla/known_issues). Use '
        '--virtual_cpus=0 or --nojit_compile.')
  try:
    config.validate()
    strategy = distribute.get_strategy(_STRATEGY.value, tpu_address=_TPU.value,
                                       virtual_cpus=_VIRTUAL_CPUS.value)
    logging.info('strategy %s with %d replicas', _STRATEGY.value,
                 strategy.num_replicas_in_sync)
    results = train_lib.train_and_evaluate(
        data_dir=_DATA_DIR.value, model_dir=_MODEL_DIR.value,
        strategy=strategy, config=config)
  except ValueError as e:
    raise app.UsageError(str(e))
  print(json.dumps(results, indent=1))


if __name__ == '__main__':
  app.run(main)
