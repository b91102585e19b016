"""The tf.data input pipeline over the builder's shards (local or gs://)."""

import functools

import tensorflow as tf

from jazzcnn import dataset_info
from jazzcnn import features


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


# Over 60 lines only with its docstring (every argument documented).
def create_dataset(data_dir, split, *, info, batch_size, training,
                   keys=(features.WAVEFORM, features.LABEL), shuffle_buffer=256,
                   cycle_length=4, read_buffer_mb=1, seed=None,
                   deterministic=None, balanced=False, one_hot=False,
                   mixup_alpha=0.0):
  """Builds the input pipeline of one split.

  The order is fixed: file list (shuffled, repeated for training) →
  interleaved parallel TFRecord reads → shuffle → parse each record → batch
  → targets (one-hot, mixup) → prefetch. Parsing before batching is measured
  faster than batching the serialized records and parsing the batch
  (BENCHMARKS.md): batching 480 KB strings costs a copy of every window, and
  tf.data fuses the map into the batch. The waveform stays int16: the model
  casts it on the accelerator.

  Args:
    data_dir: the builder's output directory.
    split: 'train', 'validation' or 'test'.
    info: its dataset_info.json, from `dataset_info.read`.
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
    deterministic: keep the order of parallel reads and maps, so that with
      a `seed` a training pipeline repeats from run to run (slower where
      reading is the bottleneck); None: only when not training.
    balanced: (training) draw every era equally often: one stream per era
      present in the split, sampled uniformly. Each stream reads every shard
      and keeps its era's records, so reading costs eras x the bytes.
    one_hot: labels as float one-hot vectors over `info['eras']` (needed
      for mixup and label smoothing).
    mixup_alpha: (training, one-hot) mix each window with another of its
      batch, weight λ ~ Beta(α, α), labels alike; 0: off.

  Returns:
    A `tf.data.Dataset`.
  """
  files = dataset_info.split_files(data_dir, info, split)
  if deterministic is None:
    deterministic = not training
  window_samples = info['window_samples']
  as_pair = tuple(keys) == (features.WAVEFORM, features.LABEL)
  if training and balanced:
    counts = dataset_info.windows_per_era(info, split)
    eras = [i for i, count in enumerate(counts) if count]
    ds = tf.data.Dataset.sample_from_datasets(
        [_records(files, info, training=True, cycle_length=cycle_length,
                  read_buffer_mb=read_buffer_mb, seed=seed, label=era,
                  shuffle_buffer=max(2, shuffle_buffer // len(eras)),
                  deterministic=deterministic)
         for era in eras], seed=seed)
  else:
    ds = _records(files, info, training=training, cycle_length=cycle_length,
                  read_buffer_mb=read_buffer_mb, seed=seed,
                  shuffle_buffer=shuffle_buffer, deterministic=deterministic)

  def parse(serialized):
    parsed = features.parse(serialized, window_samples, keys)
    if as_pair:
      return parsed[features.WAVEFORM], parsed[features.LABEL]
    return parsed

  ds = ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE,
              deterministic=deterministic)
  ds = ds.batch(batch_size, drop_remainder=training)
  if one_hot:
    if not as_pair:
      raise ValueError('one_hot needs keys=(waveform, label)')
    depth = len(info['eras'])
    ds = ds.map(lambda x, y: (x, tf.one_hot(y, depth)),
                num_parallel_calls=tf.data.AUTOTUNE)
    if training and mixup_alpha > 0:
      # Its random op is stateful: in parallel calls the draws would meet
      # the batches in whatever order the threads ran.
      ds = ds.map(functools.partial(mixup, alpha=mixup_alpha, seed=seed),
                  num_parallel_calls=None if deterministic else
                  tf.data.AUTOTUNE)
  elif mixup_alpha > 0:
    raise ValueError('mixup needs one_hot labels')
  ds = ds.prefetch(tf.data.AUTOTUNE)
  return ds.with_options(dataset_options(deterministic=deterministic))


def _records(files, info, *, training, cycle_length, read_buffer_mb, seed,
             shuffle_buffer, deterministic, label=None):
  """Serialized records of `files`; with `label`, only that era's."""
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
      num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
  if label is not None:
    ds = ds.filter(lambda s: tf.equal(
        features.parse(s, info['window_samples'], (features.LABEL,))[
            features.LABEL], label))
  if training and shuffle_buffer > 1:
    ds = ds.shuffle(shuffle_buffer, seed=seed)
  return ds


def mixup(waveform, labels, *, alpha, seed=None):
  """Mixes each window of a batch with the batch's reverse (Zhang et al. 2018).

  λ ~ Beta(α, α) per window; the waveform stays int16 (the mix is rounded
  and clipped), the one-hot labels are mixed with the same λ.
  """
  batch = tf.shape(waveform)[0]
  a = tf.random.gamma([batch], alpha, seed=seed)
  b = tf.random.gamma([batch], alpha, seed=None if seed is None else seed + 1)
  lam = a / (a + b)
  mixed = (lam[:, None] * tf.cast(waveform, tf.float32)
           + (1 - lam[:, None]) * tf.cast(waveform[::-1], tf.float32))
  waveform = tf.cast(tf.clip_by_value(tf.round(mixed), -32768, 32767),
                     tf.int16)
  return waveform, lam[:, None] * labels + (1 - lam[:, None]) * labels[::-1]


def steps_per_epoch(info, split, batch_size):
  """Whole batches in one pass over `split` (at least 1)."""
  return max(1, dataset_info.windows(info, split) // batch_size)


def batches_per_pass(info, split, batch_size):
  """Batches in one evaluation pass over `split`, the last one short."""
  return -(-dataset_info.windows(info, split) // batch_size)
