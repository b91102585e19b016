r"""Trains the era classifier on the records builder's TFRecords.

  python -m jazzcnn.train --flagfile=flags/default.cfg --strategy=mirrored \
      --data_dir=tfrecords/ --model_dir=runs/NAME

Rerunning the same command continues from the last checkpoint in model_dir.
"""

import json
import logging as std_logging
import sys

from absl import app
from absl import flags
from absl import logging
import tensorflow as tf

from jazzcnn import checkpoints
from jazzcnn import cli
from jazzcnn import distribute
from jazzcnn import errors
from jazzcnn import models
from jazzcnn import optimization
from jazzcnn import train_config
from jazzcnn import train_lib

_DEFAULTS = train_config.TrainConfig()

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
_MODEL = flags.DEFINE_enum(
    'model', _DEFAULTS.model, sorted(models.ARCHITECTURES),
    'Architecture: seed (the seed\'s exact table), seed_bn (its convs with '
    'BatchNorm and a global-pooling head), shortres (Won et al. 2020\'s '
    'short-chunk ResNet), musicnn_msd (musicnn pretrained on the Million '
    'Song Dataset, a window the mean of its 3 s chunks), musicnn_msd_stats '
    '(its front and mid end per chunk, a new back end on the mean and '
    'standard deviation of a window\'s chunks).')
_WIDTH = flags.DEFINE_float(
    'width', _DEFAULTS.width, 'Scales the architecture\'s layer widths; 1.0: '
    'as published.')
_DEPTH = flags.DEFINE_integer(
    'depth', _DEFAULTS.depth, 'Blocks of the architecture; 0: its default '
    '(seed, seed_bn: 4; shortres: 7).')
_DROPOUT = flags.DEFINE_float('dropout', _DEFAULTS.dropout,
                              'Rate of the Dropout layers.')
_CHUNK_SECONDS = flags.DEFINE_float(
    'chunk_seconds', _DEFAULTS.chunk_seconds,
    'Train on one random chunk of this many seconds per window, predict a '
    'window by the mean over its chunks; 0: whole windows; < 0: the '
    'architecture\'s default (shortres: 3.69 s; musicnn: 3.01 s). '
    'musicnn_msd_stats sees every chunk, at random starts in training.')
_SPEC_MASK = flags.DEFINE_bool(
    'spec_mask', _DEFAULTS.spec_mask,
    'SpecAugment-style frequency/time masking on the device, training only.')
_FREEZE = flags.DEFINE_bool(
    'freeze', _DEFAULTS.freeze,
    'Pretrained models (musicnn_msd*): keep the convolutional layers as '
    'pretrained and train the dense back end and the new head (about 20x '
    'faster on a CPU than fine-tuning everything; validation runs the '
    'frozen layers once, not every epoch).')
_TRAIN_MID_END = flags.DEFINE_bool(
    'train_mid_end', _DEFAULTS.train_mid_end,
    'With --freeze: musicnn\'s mid-end convolutions train too; its front '
    'end and every BatchNorm before pooling stay as pretrained.')
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
                               list(optimization.OPTIMIZERS), 'Optimizer.')
_WEIGHT_DECAY = flags.DEFINE_float(
    'weight_decay', _DEFAULTS.weight_decay,
    'Decoupled weight decay of adamw; ignored by the other optimizers.')
_CLIPNORM = flags.DEFINE_float(
    'clipnorm', _DEFAULTS.clipnorm,
    'Clip each gradient to this L2 norm; 0: no clipping.')
_LR_SCHEDULE = flags.DEFINE_enum(
    'lr_schedule', _DEFAULTS.lr_schedule, list(optimization.SCHEDULES),
    'constant, or cosine decay to 0 over all steps (after the warmup).')
_WARMUP_STEPS = flags.DEFINE_integer(
    'warmup_steps', _DEFAULTS.warmup_steps,
    'Linear warmup steps of the cosine schedule; 0: none.')
_LABEL_SMOOTHING = flags.DEFINE_float(
    'label_smoothing', _DEFAULTS.label_smoothing,
    'Label smoothing of the cross-entropy; 0: none.')
_MIXUP = flags.DEFINE_float(
    'mixup', _DEFAULTS.mixup, 'Mixup of windows and labels with weights '
    '~ Beta(a, a) for this a; 0: off.')
_BALANCED_BATCHES = flags.DEFINE_bool(
    'balanced_batches', _DEFAULTS.balanced_batches,
    'Draw every era equally often (one stream per era); reads every shard '
    'once per era.')
_CLASS_WEIGHTING = flags.DEFINE_enum(
    'class_weighting', _DEFAULTS.class_weighting,
    list(optimization.CLASS_WEIGHTING),
    'balanced: weight each era\'s windows by total / (eras * its count).')
_MIXED_PRECISION = flags.DEFINE_enum(
    'mixed_precision', _DEFAULTS.mixed_precision, list(train_config.PRECISIONS),
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
_DETERMINISTIC = flags.DEFINE_bool(
    'deterministic', _DEFAULTS.deterministic,
    'Repeatable runs: --seed fixes the order of the training windows too '
    '(parallel reads and maps keep their order) and TensorFlow runs its ops '
    'deterministically (enable_op_determinism). Two runs from scratch with '
    'the same flags then train the same weights on one replica (not yet '
    'on several: Keras\' Dropout seeds race, keras-team/keras#20611); a '
    'resumed run restarts the order. Slower where reading or threads are '
    'the bottleneck.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  if not _MODEL_DIR.value:
    raise app.UsageError('--model_dir is required')
  cli.makedirs(_MODEL_DIR.value, '--model_dir')
  # TensorFlow's own Python logger prints INFO lines ("Using MirroredStrategy
  # ..."): ours say the same.
  tf.get_logger().setLevel(std_logging.WARNING)
  # TensorFlow logs a line per checkpoint save at INFO: keep ours, drop those.
  logging.get_absl_handler().addFilter(
      lambda r: r.levelno >= std_logging.WARNING or '/tensorflow/' not in
      r.pathname)
  config = train_config.TrainConfig(
      model=_MODEL.value, width=_WIDTH.value, depth=_DEPTH.value,
      dropout=_DROPOUT.value, chunk_seconds=_CHUNK_SECONDS.value,
      spec_mask=_SPEC_MASK.value, freeze=_FREEZE.value,
      train_mid_end=_TRAIN_MID_END.value, epochs=_EPOCHS.value,
      steps_per_epoch=_STEPS_PER_EPOCH.value, batch_size=_BATCH_SIZE.value,
      learning_rate=_LEARNING_RATE.value, optimizer=_OPTIMIZER.value,
      weight_decay=_WEIGHT_DECAY.value, clipnorm=_CLIPNORM.value,
      lr_schedule=_LR_SCHEDULE.value, warmup_steps=_WARMUP_STEPS.value,
      label_smoothing=_LABEL_SMOOTHING.value, mixup=_MIXUP.value,
      balanced_batches=_BALANCED_BATCHES.value,
      class_weighting=_CLASS_WEIGHTING.value,
      mixed_precision=_MIXED_PRECISION.value, jit_compile=_JIT_COMPILE.value,
      checkpoint_every=_CHECKPOINT_EVERY.value,
      keep_checkpoints=_KEEP_CHECKPOINTS.value,
      shuffle_buffer=_SHUFFLE_BUFFER.value, cycle_length=_CYCLE_LENGTH.value,
      seed=_SEED.value, deterministic=_DETERMINISTIC.value)
  if _JIT_COMPILE.value and _VIRTUAL_CPUS.value > 1:
    raise app.UsageError(
        '--jit_compile cannot run on --virtual_cpus: XLA places mirrored '
        'variables on one CPU device (tensorflow.org/xla/known_issues). Use '
        '--virtual_cpus=0 or --nojit_compile.')
  if config.deterministic:
    tf.config.experimental.enable_op_determinism()  # For the whole process.
  try:
    config.validate()
    strategy = distribute.get_strategy(_STRATEGY.value, tpu_address=_TPU.value,
                                       virtual_cpus=_VIRTUAL_CPUS.value)
    logging.info('strategy %s with %d replicas', _STRATEGY.value,
                 strategy.num_replicas_in_sync)
    results = train_lib.train_and_evaluate(
        data_dir=_DATA_DIR.value, model_dir=_MODEL_DIR.value,
        strategy=strategy, config=config,
        verbose=1 if sys.stdout.isatty() else 2)
  except errors.DataError:
    raise  # One line too (cli.run), without the pointer to --help.
  except ValueError as e:
    raise app.UsageError(str(e))
  except checkpoints.Diverged as e:
    sys.exit(f'train: {e}')
  print(json.dumps(results, indent=1))


if __name__ == '__main__':
  cli.run(main, on_interrupt='rerunning the same command continues from the '
          'last checkpoint')
