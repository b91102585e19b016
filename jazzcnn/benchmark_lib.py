"""Throughput and memory figures, measured side by side in one run.

Each figure is a dict {suite, figure, value, unit, goal, ok}; goals are
ratios between figures of the same run, because these machines are noisy.
"""

import os
import subprocess
import sys
import time

import numpy as np
import soundfile
import tensorflow as tf

from jazzcnn import dataset_info
from jazzcnn import features
from jazzcnn import input_pipeline
from jazzcnn import models

# NVIDIA H100 SXM dense bf16 peak; the `input` suite sizes the host for a GPU
# running the seed model at 40 % of it.
H100_BF16_FLOPS = 989e12
GPU_UTILISATION = 0.4


def figure(suite, name, value, unit, goal='', ok=None):
  return {'suite': suite, 'figure': name, 'value': value, 'unit': unit,
          'goal': goal, 'ok': ok}


def timed(fn, *, min_seconds=1.0, repeats=3):
  """Best-of-`repeats` (result, seconds) of fn; repeats until min_seconds."""
  best, result = float('inf'), None
  for _ in range(repeats):
    start = time.perf_counter()
    result = fn()
    best = min(best, time.perf_counter() - start)
    if best >= min_seconds:
      break
  return result, best


def write_synthetic_records(out_dir, *, windows=512, window_samples=240000,
                            shards=8, seed=0):
  """Shards of random windows in the builder's format, with dataset_info.

  For input benchmarks only: the bytes are what matters, not the music.
  """
  tf.io.gfile.makedirs(out_dir)
  rng = np.random.default_rng(seed)
  base = rng.integers(-8000, 8000, window_samples, dtype=np.int16)
  files = []
  per_label, tapes = {}, {}
  for shard in range(shards):
    name = f'train-{shard:05d}-of-{shards:05d}.tfrecord'
    files.append(name)
    with tf.io.TFRecordWriter(os.path.join(out_dir, name)) as writer:
      for i in range(shard, windows, shards):
        label = i % 4
        writer.write(features.make_example(
            np.roll(base, i), label=label, era=str(label),
            tape_id=f'tape{i % 32}', offset=i))
        per_label[label] = per_label.get(label, 0) + 1
        tapes[f'tape{i % 32}'] = label
  eras = ['0', '1', '2', '3']
  info = dataset_info.make(
      eras=eras, era_years={e: [0, 0] for e in eras}, sample_rate=16000,
      window_samples=window_samples, hop_samples=window_samples,
      trim_seconds=0.0, source='synthetic',
      splits={'train': dataset_info.split_entry(
          eras=eras, files=files, windows_per_label=per_label,
          tape_labels=tapes, group_of=lambda tape, era: tape,
          seconds_per_window=window_samples / 16000)})
  with open(dataset_info.path(out_dir), 'w') as f:
    f.write(dataset_info.dumps(info))
  return info


def raw_read(paths, chunk=8 << 20):
  """Bytes read with plain file reads (the physical ceiling)."""
  total = 0
  buf = bytearray(chunk)
  for path in paths:
    with open(path, 'rb', buffering=0) as f:
      while True:
        n = f.readinto(buf)
        if not n:
          break
        total += n
  return total


def bare_tfrecord_read(paths, *, passes=1, compression=None):
  """Records through a bare TFRecordDataset (framing and CRC checks, no
  parsing), counted in the graph so no Python runs per record."""
  ds = tf.data.TFRecordDataset(paths, compression_type=compression,
                               num_parallel_reads=tf.data.AUTOTUNE,
                               buffer_size=4 << 20).repeat(passes)
  return int(ds.reduce(np.int64(0), lambda n, _: n + 1))


def pipeline_read(data_dir, info, *, batches, batch_size=64,
                  pipeline_fn=None):
  """Windows through the real training input pipeline, counted in the graph."""
  pipeline_fn = pipeline_fn or input_pipeline.create_dataset
  ds = pipeline_fn(data_dir, 'train', info=info, batch_size=batch_size,
                   training=True, shuffle_buffer=batch_size).take(batches)
  return int(ds.reduce(np.int64(0), lambda n, batch: n + tf.cast(
      tf.shape(batch[0])[0], tf.int64)))


def batch_then_parse_pipeline(data_dir, split, *, info, batch_size, training,
                              shuffle_buffer):
  """The first version of the pipeline: batch the records, parse the batch.

  Kept for the benchmark's before/after only.
  """
  del training
  files = dataset_info.split_files(data_dir, info, split)
  ds = tf.data.Dataset.from_tensor_slices(files).shuffle(len(files)).repeat()
  ds = ds.interleave(lambda f: tf.data.TFRecordDataset(f, buffer_size=4 << 20),
                     cycle_length=min(16, len(files)),  # The first defaults.
                     num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
  ds = ds.shuffle(shuffle_buffer).batch(batch_size, drop_remainder=True)

  def parse(serialized):
    parsed = features.parse(serialized, info['window_samples'])
    return parsed[features.WAVEFORM], parsed[features.LABEL]

  ds = ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
  return ds.prefetch(tf.data.AUTOTUNE).with_options(
      input_pipeline.dataset_options(deterministic=False))


def write_fixed_length_pcm(data_dir, info, out_dir):
  """The same windows as bare int16 PCM, one file per shard: no tf.Example,
  no TFRecord framing or CRC. For comparison only: not a format we use."""
  os.makedirs(out_dir, exist_ok=True)
  paths = []
  for i, shard in enumerate(dataset_info.split_files(data_dir, info,
                                                       'train')):
    path = os.path.join(out_dir, f'{i:05d}.pcm')
    with open(path, 'wb') as f:
      for record in tf.data.TFRecordDataset(shard):
        f.write(features.parse_single(record.numpy())[features.WAVEFORM]
                .astype('<i2').tobytes())
    paths.append(path)
  return paths


def fixed_length_pcm_read(paths, window_samples, *, batches, batch_size=64):
  """Windows through the best pipeline bare PCM allows: fixed-length records,
  decode_raw, batch; read, shuffled and prefetched as the real pipeline."""
  ds = tf.data.Dataset.from_tensor_slices(paths).repeat().interleave(
      lambda f: tf.data.FixedLengthRecordDataset(f, 2 * window_samples,
                                                 buffer_size=1 << 20),
      cycle_length=min(4, len(paths)), num_parallel_calls=tf.data.AUTOTUNE,
      deterministic=False)
  ds = ds.shuffle(batch_size).map(
      lambda r: tf.io.decode_raw(r, tf.int16),
      num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
  ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
  return int(ds.take(batches).reduce(np.int64(0), lambda n, batch: n + tf.cast(
      tf.shape(batch)[0], tf.int64)))


def write_seed_wavs(out_dir, *, count, window_samples=240000, rate=16000):
  """The seed's layout: one 15 s WAV file per window."""
  os.makedirs(out_dir, exist_ok=True)
  rng = np.random.default_rng(1)
  x = rng.integers(-8000, 8000, window_samples, dtype=np.int16)
  paths = []
  for i in range(count):
    path = os.path.join(out_dir, f'w{i:05d}.wav')
    soundfile.write(path, np.roll(x, i), rate, subtype='PCM_16')
    paths.append(path)
  return paths


def seed_generator_read(paths, *, batch_size=64):
  """The seed's approach: from_generator loading one WAV file per window."""

  def gen():  # As the seed: read a WAV's int16 samples in Python.
    for i, path in enumerate(paths):
      audio, _ = soundfile.read(path, dtype='int16')
      yield audio, i % 4

  ds = tf.data.Dataset.from_generator(
      gen, output_signature=(tf.TensorSpec([None], tf.int16),
                             tf.TensorSpec([], tf.int32)))
  ds = ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
  count = 0
  for waveform, _ in ds:
    count += int(waveform.shape[0])
  return count


def model_flops_per_window(window_samples=240000, num_classes=4):
  """Forward multiply-adds x 2 of the seed model's conv and dense layers."""
  return models.forward_flops(models.build_model(num_classes, window_samples))


def peak_rss_of(command):
  """Peak resident memory (bytes) of the largest process a command starts.

  Runs it under a fresh wrapper process, whose RUSAGE_CHILDREN covers that
  command alone (ours would remember every earlier child).
  """
  wrapper = ('import resource, subprocess, sys\n'
             'subprocess.run(sys.argv[1:], check=True, capture_output=True)\n'
             'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)')
  out = subprocess.run([sys.executable, '-c', wrapper, *command], check=True,
                       capture_output=True, text=True).stdout
  return int(out.split()[-1]) * 1024


def runner_startup_seconds(runner):
  """Wall time of a trivial Beam pipeline on `runner`, in a fresh process."""
  script = ('import apache_beam as beam\n'
            f'with beam.Pipeline(runner={runner!r}) as p:\n'
            '  _ = p | beam.Create([1, 2, 3]) | beam.Map(lambda x: x + 1)\n')
  start = time.perf_counter()
  subprocess.run([sys.executable, '-c', script], check=True,
                 capture_output=True, timeout=900)
  return time.perf_counter() - start


def write_tone_tape(path, seconds, *, rate=44100, channels=2, block=1 << 16):
  """A long tape written block by block (memory stays small)."""
  fmt = os.path.splitext(path)[1][1:].upper()
  t0 = 0
  with soundfile.SoundFile(path, 'w', rate, channels, format=fmt) as f:
    total = int(seconds * rate)
    while t0 < total:
      n = min(block, total - t0)
      t = (np.arange(n) + t0) / rate
      x = 0.3 * np.sin(2 * np.pi * (220 + 40 * np.sin(0.1 * t)) * t)
      x += 0.05 * np.sin(2 * np.pi * 3000 * t) * (np.sin(2 * np.pi * 2 * t) > 0)
      f.write(np.repeat(x[:, None], channels, axis=1).astype(np.float32))
      t0 += n


def decode_seconds(path, windowing):
  """Seconds of audio in the windows decoded from one file."""
  from jazzcnn import audio
  with open(path, 'rb') as f:
    n = sum(1 for _ in audio.stream_windows(f, windowing))
  return n * windowing.hop / windowing.sample_rate


def decode_pool(processes):
  """Worker processes for `decode_all`, started (imports done) up front."""
  import multiprocessing
  pool = multiprocessing.get_context('spawn').Pool(processes)
  pool.starmap(int, [('1',)] * processes)
  return pool


def decode_all(pool, paths, windowing):
  """Decodes files on a warm pool; audio seconds decoded."""
  return sum(pool.starmap(decode_seconds, [(p, windowing) for p in paths]))


def build_command(tapes_dir, tracklist, output_dir, *extra):
  return [sys.executable, '-m', 'beam_pipelines.build_records',
          f'--input={tapes_dir}', f'--tracklist={tracklist}',
          f'--output_dir={output_dir}', '--trim_seconds=0', *extra]
