"""The tf.data input pipeline over the builder's shards (local or gs://)."""

import json
import posixpath

import tensorflow as tf

from jazzcnn import features

INFO_FILE = 'dataset_info.json'


def read_info(data_dir):
  """Reads `dataset_info.json`, written by the records builder last.

  Raises:
    ValueError: when `data_dir` holds no finished build.
  """
  path = posixpath.join(data_dir, INFO_FILE)
  if not tf.io.gfile.exists(path):
    raise ValueError(f'{path} not found: build records into {data_dir} first '
                     '(python -m beam_pipelines.build_records)')
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def split_files(data_dir, info, split):
  """The shard paths of `split`; raises ValueError if it has no windows."""
  entry = info['splits'].get(split)
  if not entry or not entry['windows'] or not entry['files']:
    raise ValueError(f'split {split!r} of {data_dir} is empty; rebuild with '
                     'more tapes or other --split_fractions')
  return [posixpath.join(data_dir, name) for name in entry['files']]


def dataset_options(*, deterministic):
  """The tf.data options of every pipeline here, in one place."""
  options = tf.data.Options()
  options.deterministic = deterministic
  options.autotune.enabled = True
  options.experimental_optimization.map_parallelization = True
  options.experimental_optimization.parallel_batch = True
  # Shards are listed in dataset_info.json; with several workers each reads
  # its own files.
  options.experimental_distribute.auto_shard_policy = (
      tf.data.experimental.AutoShardPolicy.AUTO)
  return options


def create_dataset(data_dir, split, *, info, batch_size, training,
                   keys=(features.WAVEFORM, features.LABEL), shuffle_buffer=256,
                   cycle_length=4, read_buffer_mb=1, seed=None):
  """Builds the input pipeline of one split.

  The order is fixed: file list (shuffled, repeated for training) →
  interleaved parallel TFRecord reads → shuffle → parse each record → batch
  → prefetch. Parsing before batching is measured faster than batching the
  serialized records and parsing the batch (BENCHMARKS.md): batching 480 KB
  strings costs a copy of every window, and tf.data fuses the map into the
  batch. The waveform stays int16: the model casts it on the accelerator.

  Args:
    data_dir: the builder's output directory.
    split: 'train', 'validation' or 'test'.
    info: its dataset_info.json, from `read_info`.
    batch_size: global batch size.
    training: shuffle, repeat forever, drop the last partial batch and allow
      non-deterministic order; otherwise one deterministic pass.
    keys: features to parse. With the default, elements are
      (waveform, label) pairs for Keras; otherwise dicts of `keys`.
    shuffle_buffer: windows in the shuffle buffer (each ~0.5 MB at 15 s).
    cycle_length: shards read at once.
    read_buffer_mb: read buffer per shard. 4 shards with 1 MB buffers read
      as fast as a bare TFRecordDataset on 2 cores, where 16 x 4 MB reached
      0.77x of it (BENCHMARKS.md); raise both for many cores or gs://.
    seed: shuffle seed (None: random).

  Returns:
    A `tf.data.Dataset`.
  """
  files = split_files(data_dir, info, split)
  ds = tf.data.Dataset.from_tensor_slices(files)
  if training:
    ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    ds = ds.repeat()
  compression = info.get('compression') or None
  ds = ds.interleave(
      lambda f: tf.data.TFRecordDataset(
          f, compression_type=compression,
          buffer_size=int(read_buffer_mb * 2**20)),
      cycle_length=min(cycle_length, len(files)),
      num_parallel_calls=tf.data.AUTOTUNE, deterministic=not training)
  if training and shuffle_buffer > 1:
    ds = ds.shuffle(shuffle_buffer, seed=seed)
  window_samples = info['window_samples']
  as_pair = tuple(keys) == (features.WAVEFORM, features.LABEL)

  def parse(serialized):
    parsed = features.parse(serialized, window_samples, keys)
    if as_pair:
      return parsed[features.WAVEFORM], parsed[features.LABEL]
    return parsed

  ds = ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE,
              deterministic=not training)
  ds = ds.batch(batch_size, drop_remainder=training)
  ds = ds.prefetch(tf.data.AUTOTUNE)
  return ds.with_options(dataset_options(deterministic=not training))


def steps_per_epoch(info, split, batch_size):
  """Whole batches in one pass over `split` (at least 1)."""
  return max(1, info['splits'][split]['windows'] // batch_size)


def batches_per_pass(info, split, batch_size):
  """Batches in one evaluation pass over `split`, the last one short."""
  return -(-info['splits'][split]['windows'] // batch_size)
