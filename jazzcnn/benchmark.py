"""Measures the input pipeline, the records builder and training, side by side.

  python -m jazzcnn.benchmark all          # or: input | build | train

Prints one JSON line per figure ({suite, figure, value, unit, goal, ok}) and a
table; `ok` is false where a goal is missed. Goals are ratios of figures from
the same run; the exit status is 3 when a goal is missed. BENCHMARKS.md keeps
the latest table.
"""

import json
import os
import platform
import sys
import tempfile

from absl import app
from absl import flags
import keras
import tensorflow as tf

from jazzcnn import benchmark_build
from jazzcnn import benchmark_lib as lib
from jazzcnn import cli
from jazzcnn import dataset_info
from jazzcnn import input_pipeline
from jazzcnn import models

SUITES = ('input', 'build', 'train')
GOAL_MISSED = 3  # Exit status when a figure misses its goal.

_DATA_DIR = flags.DEFINE_string(
    'data_dir', '', 'Built records for the input suite; empty: synthetic '
    'shards of --input_windows windows in a temporary directory.')
_INPUT_WINDOWS = flags.DEFINE_integer(
    'input_windows', 1024, 'Synthetic windows for the input suite (0.48 MB '
    'each).', lower_bound=1)
_SEED_WINDOWS = flags.DEFINE_integer(
    'seed_windows', 256, 'WAV files read by the seed-style generator.',
    lower_bound=1)
_PASSES = flags.DEFINE_integer(
    'passes', 3, 'Passes over the records per input figure (steady state).',
    lower_bound=1)
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 64,
                                   'Batch size of the input suite.',
                                   lower_bound=1)
_BUILD_TAPES = flags.DEFINE_integer('build_tapes', 4,
                                    'MP3 tapes for the build suite.',
                                    lower_bound=1)
_BUILD_MINUTES = flags.DEFINE_float('build_minutes', 15.0,
                                    'Length of each MP3 tape, minutes.')
_MEMORY_MINUTES = flags.DEFINE_list(
    'memory_minutes', ['10', '120'],
    'Short and long tape (minutes) for the peak-memory figure.')


def _two_positive_numbers(values):
  try:
    return len(values) == 2 and all(float(v) > 0 for v in values)
  except ValueError:
    return False


flags.register_validator('memory_minutes', _two_positive_numbers,
                         'must be two positive numbers of minutes, e.g. 10,120')
_RUNNER_STARTUP = flags.DEFINE_bool(
    'runner_startup', True, 'Time a trivial pipeline on DirectRunner (which '
    'first tries PrismRunner, a download) and on FnApiRunner.')
_TRAIN_STEPS = flags.DEFINE_integer('train_steps', 80,
                                    'Timed steps per training figure.',
                                    lower_bound=1)
_TRAIN_ROUNDS = flags.DEFINE_integer(
    'train_rounds', 3, 'Rounds in which the train variants take turns; each '
    'keeps its best.', lower_bound=1)
_TRAIN_WIDTH = flags.DEFINE_float(
    'train_width', 0.125, 'Model width of the train suite (1.0: the seed '
    'model, for GPUs).', lower_bound=0.01)
_TRAIN_BATCH = flags.DEFINE_integer('train_batch', 8,
                                    'Batch size of the train suite.',
                                    lower_bound=1)
_MIXED_PRECISION = flags.DEFINE_enum(
    'mixed_precision', '', ['', 'mixed_float16', 'mixed_bfloat16'],
    'Policy of the train suite.')
_JIT_COMPILE = flags.DEFINE_bool('jit_compile', False,
                                 'XLA for the train suite.')
_WORK_DIR = flags.DEFINE_string('work_dir', '',
                                'Scratch directory; empty: a temporary one.')


def input_suite(work):
  figures = []
  data_dir = _DATA_DIR.value
  if not data_dir:
    data_dir = os.path.join(work, 'records')
    lib.write_synthetic_records(data_dir, windows=_INPUT_WINDOWS.value)
  info = dataset_info.read(data_dir)
  paths = dataset_info.split_files(data_dir, info, 'train')
  windows = dataset_info.windows(info, 'train')
  window_bytes = info['window_samples'] * 2
  total_bytes = sum(os.path.getsize(p) for p in paths)
  lib.raw_read(paths)  # Into the page cache.
  _, t_raw = lib.timed(lambda: lib.raw_read(paths))
  figures.append(lib.figure('input', 'raw_file_read', total_bytes / t_raw / 1e6,
                            'MB/s', 'physical ceiling'))
  # Steady state: several passes, as training reads (one pass would measure
  # start-up and the tail).
  passes = _PASSES.value
  _, t_bare = lib.timed(lambda: lib.bare_tfrecord_read(paths, passes=passes))
  bare = passes * windows / t_bare
  figures.append(lib.figure('input', 'bare_tfrecord_read', bare, 'windows/s'))
  figures.append(lib.figure('input', 'bare_tfrecord_read_mb',
                            passes * total_bytes / t_bare / 1e6, 'MB/s'))
  batches = max(1, passes * windows // _BATCH_SIZE.value)
  lib.pipeline_read(data_dir, info, batches=2, batch_size=_BATCH_SIZE.value)
  n, t_pipe = lib.timed(lambda: lib.pipeline_read(
      data_dir, info, batches=batches, batch_size=_BATCH_SIZE.value))
  pipe = n / t_pipe
  figures.append(lib.figure('input', 'pipeline', pipe, 'windows/s'))
  figures.append(lib.figure('input', 'pipeline_mb', pipe * window_bytes / 1e6,
                            'MB/s'))
  figures.append(lib.figure('input', 'pipeline_vs_bare_tfrecord', pipe / bare,
                            'x', '>= 0.8', pipe / bare >= 0.8))
  n, t_old = lib.timed(lambda: lib.pipeline_read(
      data_dir, info, batches=batches, batch_size=_BATCH_SIZE.value,
      pipeline_fn=lib.batch_then_parse_pipeline))
  figures.append(lib.figure('input', 'before_batch_then_parse', n / t_old,
                            'windows/s', 'the first pipeline, for comparison'))
  wavs = lib.write_seed_wavs(os.path.join(work, 'seed_wavs'),
                             count=_SEED_WINDOWS.value,
                             window_samples=info['window_samples'])
  lib.raw_read(wavs)
  n, t_seed = lib.timed(lambda: lib.seed_generator_read(wavs))
  seed = n / t_seed
  figures.append(lib.figure('input', 'seed_from_generator_wavs', seed,
                            'windows/s'))
  figures.append(lib.figure('input', 'pipeline_vs_seed', pipe / seed, 'x',
                            '>= 5', pipe / seed >= 5))
  # What giving up tf.Example and TFRecord (and its CRCs) would buy.
  pcm = lib.write_fixed_length_pcm(data_dir, info, os.path.join(work, 'pcm'))
  lib.raw_read(pcm)
  n, t_pcm = lib.timed(lambda: lib.fixed_length_pcm_read(
      pcm, info['window_samples'], batches=batches,
      batch_size=_BATCH_SIZE.value))
  figures.append(lib.figure('input', 'bare_pcm_pipeline', n / t_pcm,
                            'windows/s', 'no tf.Example, no CRC: comparison'))
  figures.append(lib.figure('input', 'bare_pcm_vs_seed', n / t_pcm / seed,
                            'x', 'the most another format could give'))
  return figures + _h100_figures(pipe)


def _h100_figures(pipe):
  """What an H100 would need, from the seed's FLOPs and the pipeline's rate."""
  flops = lib.model_flops_per_window()
  gpu = lib.H100_BF16_FLOPS * lib.GPU_UTILISATION / (3 * flops)
  needed = gpu / (pipe / os.cpu_count())
  return [
      lib.figure('input', 'model_forward_flops', flops / 1e9, 'GFLOP/window'),
      lib.figure('input', 'h100_training_estimate', gpu, 'windows/s',
                 '40% of 989 TFLOP/s bf16, train = 3x forward'),
      lib.figure('input', 'host_cores_to_feed_h100', needed, 'cores', '<= 8',
                 needed <= 8),
  ]


def build_suite(work):
  if _BUILD_TAPES.value * _BUILD_MINUTES.value <= 1:
    raise app.UsageError('the build suite needs more than 1 minute of tapes '
                         '(marginal rates against a 30 s tape)')
  return benchmark_build.build_suite(
      work, tape_count=_BUILD_TAPES.value, minutes=_BUILD_MINUTES.value,
      memory_minutes=[float(m) for m in _MEMORY_MINUTES.value],
      runner_startup=_RUNNER_STARTUP.value)


def train_suite(work):
  keras.mixed_precision.set_global_policy(_MIXED_PRECISION.value or 'float32')
  data_dir = os.path.join(work, 'train_records')
  windows = _TRAIN_BATCH.value * 16
  info = lib.write_synthetic_records(data_dir, windows=windows, shards=4)
  model = models.build_model(4, info['window_samples'], width=_TRAIN_WIDTH.value)
  model.compile('rmsprop', 'sparse_categorical_crossentropy',
                jit_compile=_JIT_COMPILE.value)
  ds = input_pipeline.create_dataset(data_dir, 'train', info=info,
                                     batch_size=_TRAIN_BATCH.value,
                                     training=True, shuffle_buffer=64)
  batch = next(iter(ds))
  in_memory = tf.data.Dataset.from_tensors(batch).repeat()
  # The same windows, all held in memory: what the model does without input.
  cached = ds.take(16).cache().repeat()
  steps = _TRAIN_STEPS.value

  variants = {'real': ds, 'same': in_memory, 'cached': cached}
  for dataset in variants.values():  # Warm up: trace once per dataset.
    model.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0)
  # This VM loses about half its speed for stretches (seen on every variant,
  # in any order): the variants take turns, rounds rotate the order, and each
  # keeps its best round. Rounds are long (--train_steps) because each fit
  # starts a new input iterator, which a real run does once.
  best = {name: 0.0 for name in variants}
  names = list(variants)
  for round_ in range(_TRAIN_ROUNDS.value):
    for name in names[round_ % 3:] + names[:round_ % 3]:
      _, t = lib.timed(lambda: model.fit(variants[name], steps_per_epoch=steps,
                                         epochs=1, verbose=0), repeats=1)
      best[name] = max(best[name], steps * _TRAIN_BATCH.value / t)
  real, held, distinct = best['real'], best['same'], best['cached']

  gpus = tf.config.list_logical_devices('GPU')
  where = (f'{len(gpus)} GPU' if gpus else 'CPU') + (
      f', width {_TRAIN_WIDTH.value:g}, batch {_TRAIN_BATCH.value}, '
      f'{_MIXED_PRECISION.value or "float32"}, '
      f'jit {"on" if _JIT_COMPILE.value else "off"}')
  flops = lib.model_flops_per_window(info['window_samples']) * \
      _TRAIN_WIDTH.value ** 2
  return [
      lib.figure('train', 'real_input_pipeline', real, 'windows/s', where),
      lib.figure('train', 'batch_in_memory', held, 'windows/s'),
      lib.figure('train', 'real_vs_in_memory', real / held, 'x', '>= 0.95',
                 real / held >= 0.95),
      lib.figure('train', 'windows_in_memory', distinct, 'windows/s',
                 '16 distinct batches cached: no input work'),
      lib.figure('train', 'real_vs_windows_in_memory', real / distinct, 'x',
                 "the input's cost alone"),
      lib.figure('train', 'achieved_train_flops', 3 * flops * real / 1e12,
                 'TFLOP/s', '3 x forward FLOPs x windows/s (approx.)'),
  ]


def main(argv):
  names = argv[1:] or ['all']
  suites = SUITES if names == ['all'] else names
  for name in suites:
    if name not in SUITES:
      raise app.UsageError(f'unknown suite {name!r}: choose from '
                           f'{", ".join(SUITES)} or all')
  if 'input' in suites and _DATA_DIR.value:
    try:  # Before the other suites' minutes, not after.
      dataset_info.split_files(_DATA_DIR.value,
                               dataset_info.read(_DATA_DIR.value), 'train')
    except ValueError as e:
      raise app.UsageError(str(e))
  if _WORK_DIR.value:
    cli.makedirs(_WORK_DIR.value, '--work_dir')
  work = _WORK_DIR.value or tempfile.mkdtemp(prefix='jazzcnn_bench_')
  figures = []
  for name in suites:
    suite_figures = globals()[f'{name}_suite'](work)
    for f in suite_figures:
      print(json.dumps(f), flush=True)
    figures += suite_figures
  print(format_table(figures))
  print(f'\n{platform.node()}: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, '
        f'TF {tf.__version__}; work dir {work}')
  if any(f['ok'] is False for f in figures):
    sys.exit(GOAL_MISSED)


def format_table(figures):
  lines = ['| suite | figure | value | unit | goal | ok |',
           '| --- | --- | --- | --- | --- | --- |']
  for f in figures:
    ok = '' if f['ok'] is None else ('yes' if f['ok'] else '**no**')
    lines.append(f"| {f['suite']} | {f['figure']} | {f['value']:.3g} | "
                 f"{f['unit']} | {f['goal']} | {ok} |")
  return '\n'.join(lines)


if __name__ == '__main__':
  cli.run(main)
