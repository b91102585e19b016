"""Beam pipeline: scraped tapes → sharded TFRecords of raw windows, split by group."""

import collections
import datetime
import logging
import os
import posixpath
import uuid

import apache_beam as beam
from apache_beam.options import pipeline_options as beam_options
from apache_beam.transforms import window as beam_window
from apache_beam.utils import windowed_value
import numpy as np

from beam_pipelines import build_lock
from beam_pipelines import fileio
from jazzcnn import audio
from jazzcnn import dataset_info
from jazzcnn import features
from jazzcnn import naming

SPLITS = dataset_info.SPLITS
AUDIO_EXTENSIONS = naming.AUDIO_EXTENSIONS
tape_id = naming.tape_id
INFO_FILE = dataset_info.FILE
DUPLICATE = 'duplicate'  # Same tape in another format, which was used.
UNLISTED = 'unlisted'  # Not in the track list.
ERROR = 'error'  # Anything unexpected; the job goes on.

_TMP_PREFIX = '.build-tmp-'
_COUNTER_NAMESPACE = 'build_records'


def _count(name, value=1):
  beam.metrics.Metrics.counter(_COUNTER_NAMESPACE, name).inc(value)


def list_audio(input_pattern):
  """Lists audio files under a directory (recursively) or matching a glob."""
  if fileio.is_directory(input_pattern):
    paths = fileio.list_tree(input_pattern)
  else:
    paths = fileio.glob(input_pattern)
  return sorted(p for p in paths if p.lower().endswith(AUDIO_EXTENSIONS))


def select_files(paths):
  """Keeps one file per tape, preferring lossless formats.

  archive.org items hold the original FLAC/WAV next to MP3 derivatives of the
  same tape; using both would put one tape's windows in twice.

  Returns:
    (chosen paths, failure dicts for the files left out).
  """
  by_tape = collections.defaultdict(list)
  for path in paths:
    by_tape[tape_id(path)].append(path)
  rank = lambda p: AUDIO_EXTENSIONS.index(os.path.splitext(p)[1].lower())
  chosen, failures = [], []
  for tape in sorted(by_tape):
    first, *rest = sorted(by_tape[tape], key=lambda p: (rank(p), p))
    chosen.append(first)
    failures += [_failure(p, DUPLICATE, f'same tape as {first}') for p in rest]
  return chosen, failures


def _failure(path, reason, detail=''):
  return {'path': path, 'reason': reason, 'detail': detail}


# Pipeline steps: small module functions, each one step and one counter.


def _label(path, *, tracklist, eras, split_by):
  """path → tape dict, or a failure for unlisted and unlabelled tapes."""
  tape = tape_id(path)
  if tape not in tracklist:
    _count(UNLISTED)
    yield beam.pvalue.TaggedOutput('failures', _failure(path, UNLISTED))
    return
  label = naming.label(tape, tracklist[tape], eras)
  if label.era_index is None:
    _count(label.status)
    yield beam.pvalue.TaggedOutput(
        'failures', _failure(path, label.status, f'years {label.years}'))
    return
  _count('labelled_tapes')
  yield {'path': path, 'tape_id': tape, 'era': label.status,
         'label': label.era_index,
         'group': naming.split_key(tape, label.status, split_by)}


def _probe(tape, *, windowing):
  """Checks that a tape is whole audio long enough for a window."""
  try:
    with fileio.open_read(tape['path']) as f:
      info = audio.probe(f)
    if windowing.num_windows(info) == 0:
      raise audio.AudioError(audio.TOO_SHORT, f'{info.seconds:.1f} s')
  except audio.AudioError as e:
    _count(e.reason)
    yield beam.pvalue.TaggedOutput('failures',
                                   _failure(tape['path'], e.reason, str(e)))
    return
  except Exception as e:  # pylint: disable=broad-except
    _count(ERROR)
    yield beam.pvalue.TaggedOutput('failures',
                                   _failure(tape['path'], ERROR, repr(e)))
    return
  _count('probed_tapes')
  yield dict(tape, seconds=info.seconds)


def _decode(tape, *, windowing):
  """tape → (tape, offset, int16 window), streamed block by block."""
  try:
    with fileio.open_read(tape['path']) as f:
      for offset, window in audio.stream_windows(f, windowing):
        _count('decoded_windows')
        yield tape, offset, window
  except audio.AudioError as e:
    _count(e.reason)
    yield beam.pvalue.TaggedOutput('failures',
                                   _failure(tape['path'], e.reason, str(e)))
  except Exception as e:  # pylint: disable=broad-except
    _count(ERROR)
    yield beam.pvalue.TaggedOutput('failures',
                                   _failure(tape['path'], ERROR, repr(e)))


def _is_sound(item, *, silence_peak):
  """False for digital silence: no sample beyond ±silence_peak."""
  _, _, window = item
  if int(np.abs(window).max()) <= silence_peak:
    _count('silent_windows')
    return False
  return True


def _to_example(item, *, fractions, split_of):
  """(tape, offset, window) → (split, tape id, era index, serialized example).

  The split is `split_of[group]` when given (folds), else a hash of the group.
  """
  tape, offset, window = item
  _count('examples')
  split = (split_of[tape['group']] if split_of else
           naming.assign_split(tape['group'], fractions))
  return (split, tape['tape_id'],
          tape['label'],
          features.make_example(window, label=tape['label'], era=tape['era'],
                                tape_id=tape['tape_id'], offset=offset))


class _WriteShards(beam.DoFn):
  """Writes examples to temporary shards of at most `shard_bytes` per split.

  A train shard would otherwise hold one tape's windows in order (a 128 MB
  shard is about 270 windows of 15 s; a tape has about 360), so a reader
  mixing a few shards would fill each batch from a few tapes. Train windows
  therefore go round-robin to `train_shards_open` shards at once: each tape is
  spread over that many shards, and each shard mixes that many times more
  tapes. Validation and test keep one shard open (their order is irrelevant).

  Shards get their final names only in `_finalize`, after every shard is
  whole, so a failed run never leaves a partial shard under a final name.
  """

  def __init__(self, tmp_dir, *, shard_bytes, compression,
               train_shards_open=1):
    self._tmp_dir = tmp_dir
    self._shard_bytes = shard_bytes
    self._compression = compression
    self._train_shards_open = train_shards_open

  def start_bundle(self):
    self._open = {}  # (split, slot) → (writer, shard dict)
    self._written = {}  # split → examples so far in this bundle
    self._done = []

  def process(self, item):
    split, tape, label, example = item
    written = self._written.get(split, 0)
    self._written[split] = written + 1
    slot = written % (self._train_shards_open if split == 'train' else 1)
    writer, shard = self._open.get((split, slot)) or self._new_shard(
        split, slot)
    writer.write(example)
    shard['bytes'] += len(example)
    shard['windows_per_label'][label] = (
        shard['windows_per_label'].get(label, 0) + 1)
    shard['tapes'][tape] = label
    shard['first'] = min(shard['first'] or tape, tape)
    if shard['bytes'] >= self._shard_bytes:
      self._close((split, slot))

  def finish_bundle(self):
    for split in list(self._open):
      self._close(split)
    for shard in self._done:
      yield windowed_value.WindowedValue(
          shard, beam_window.GlobalWindow().max_timestamp(),
          [beam_window.GlobalWindow()])

  def _new_shard(self, split, slot):
    path = fileio.join(self._tmp_dir, f'{split}-{uuid.uuid4().hex}')
    writer = fileio.TFRecordWriter(path, self._compression)
    shard = {'split': split, 'path': path, 'bytes': 0,
             'windows_per_label': {}, 'tapes': {}, 'first': None}
    self._open[split, slot] = writer, shard
    return writer, shard

  def _close(self, key):
    writer, shard = self._open.pop(key)
    writer.close()
    _count('shards')
    self._done.append(shard)


def _finalize(unused_element, *, shards, failures, output_dir, tmp_dir, eras,
              windowing, compression, source, split_by, folds):
  """Moves the shards into place, then switches dataset_info.json to them.

  The new shards' names carry this build's id, so an earlier build's shards
  and dataset_info.json stay whole and readable until the new
  dataset_info.json replaces the old one in one rename; the earlier shards
  are deleted after that. A crash at any point leaves one complete result.
  """
  build = posixpath.basename(tmp_dir)[len(_TMP_PREFIX):][:8]
  suffix = f'-{build}.tfrecord' + ('.gz' if compression == 'GZIP' else '')
  info_path = fileio.join(output_dir, INFO_FILE)
  earlier = [p for split in SPLITS for p in fileio.glob(
      fileio.join(output_dir, f'{split}-*-of-*.tfrecord*'))]
  names = [e.name for e in eras]
  splits = {}
  for split in SPLITS:
    mine = sorted((s for s in shards if s['split'] == split),
                  key=lambda s: (s['first'], s['path']))
    files, tapes = [], {}
    windows_per_label = collections.Counter()
    for i, shard in enumerate(mine):
      name = f'{split}-{i:05d}-of-{len(mine):05d}{suffix}'
      fileio.rename(shard['path'], fileio.join(output_dir, name))
      files.append(name)
      tapes.update(shard['tapes'])
      windows_per_label.update({int(k): v for k, v in
                                shard['windows_per_label'].items()})
    splits[split] = dataset_info.split_entry(
        eras=names, files=files, windows_per_label=windows_per_label,
        tape_labels=tapes,
        group_of=lambda t, era: naming.split_key(t, era, split_by),
        seconds_per_window=windowing.window / windowing.sample_rate)
  info = dataset_info.make(
      eras=names, era_years={e.name: [e.first, e.last] for e in eras},
      sample_rate=windowing.sample_rate, window_samples=windowing.window,
      hop_samples=windowing.hop,
      trim_seconds=windowing.trim / windowing.sample_rate, splits=splits,
      compression=compression, split_by=split_by, folds=folds,
      failures=failures, source=source,
      created=datetime.datetime.now(datetime.timezone.utc).isoformat(
          timespec='seconds'))
  tmp_info = fileio.join(tmp_dir, INFO_FILE)
  fileio.write_text(tmp_info, dataset_info.dumps(info))
  fileio.rename(tmp_info, info_path)  # The switch.
  fileio.delete(earlier)
  fileio.delete_tree(tmp_dir)
  return info


def _group_eras(paths, tracklist, eras, split_by):
  """{group key: era} of the labelled tapes among `paths` (for folds)."""
  out = {}
  for path in paths:
    tape = tape_id(path)
    if tape in tracklist:
      label = naming.label(tape, tracklist[tape], eras)
      if label.era_index is not None:
        out[naming.split_key(tape, label.status, split_by)] = label.status
  return out


def local_pipeline_options(argv=(), num_workers=None):
  """Beam options; the DirectRunner becomes FnApiRunner on all cores.

  DirectRunner first tries PrismRunner, which downloads a binary (and fails
  offline) before falling back to the same FnApiRunner; going there directly
  skips that. Locally the workers are threads: decoding runs in C without
  the GIL, and worker processes would each import TensorFlow and pass every
  window between processes (measured slower than one thread, BENCHMARKS.md).
  Other runners (Dataflow, Flink, Spark) pass through untouched.
  """
  options = beam_options.PipelineOptions(list(argv))
  standard = options.view_as(beam_options.StandardOptions)
  if standard.runner in (None, 'DirectRunner'):
    standard.runner = 'FnApiRunner'
    direct = options.view_as(beam_options.DirectOptions)
    given = ' '.join(argv)
    if '--direct_num_workers' not in given:
      direct.direct_num_workers = num_workers or os.cpu_count() or 1
    if '--direct_running_mode' not in given and direct.direct_num_workers != 1:
      direct.direct_running_mode = 'multi_threading'
  # Workers import the steps by module name; no main session to pickle.
  options.view_as(beam_options.SetupOptions).save_main_session = False
  return options


def build_records(audio_paths, output_dir, *, tracklist, eras, windowing,
                  split_fractions=(0.8, 0.1, 0.1), split_by='artist_era',
                  folds=0, fold=0, shard_mb=128.0,
                  train_shards_open=8, compression=None, silence_peak=1,
                  pipeline_options=(), source=''):
  """Runs the records pipeline and returns the written dataset_info dict.

  Args:
    audio_paths: audio files (local or gs://), e.g. from `list_audio`.
    output_dir: where the shards and dataset_info.json go.
    tracklist: {title: year text}, from `naming.read_tracklist`.
    eras: `Era`s in label order, from `naming.parse_eras`.
    windowing: an `audio.Windowing`.
    split_fractions: train, validation, test fractions of the groups.
    split_by: how tapes are grouped, one group per split
      (`naming.split_key`): 'tape', 'artist' or 'artist_era'.
    folds: K > 0: group-stratified folds (`naming.fold_splits`) instead of
      `split_fractions`: test is fold `fold`, validation the next fold.
    fold: the test fold, 0 <= fold < folds.
    shard_mb: a shard is closed once it holds this many MB of examples.
    train_shards_open: train shards each worker writes at once, round-robin,
      so that every shard mixes tapes (see `_WriteShards`). Each open shard
      costs a writer buffer (16 MB on gs://).
    compression: None or 'GZIP'.
    silence_peak: windows whose samples all lie within ±this (int16) are
      digital silence and dropped.
    pipeline_options: Beam argv (e.g. ['--runner=DataflowRunner', ...]).
    source: recorded in dataset_info.json (the input pattern).

  Raises:
    build_lock.Unavailable: another build is writing into output_dir, or it
      cannot be written.
  """
  if len(split_fractions) != 3 or min(split_fractions) < 0 or abs(
      sum(split_fractions) - 1) > 1e-6:
    raise ValueError(f'split fractions must be 3 values >= 0 summing to 1, '
                     f'got {split_fractions}')
  if folds and (folds < 3 or not 0 <= fold < folds):
    raise ValueError(f'need --folds >= 3 and 0 <= --fold < --folds, got '
                     f'folds={folds}, fold={fold}')
  if split_by not in naming.SPLIT_BY:
    raise ValueError(f'split_by must be one of {naming.SPLIT_BY}, got '
                     f'{split_by!r}')
  if train_shards_open < 1:
    raise ValueError(f'train_shards_open must be >= 1, got {train_shards_open}')
  if compression not in (None, '', 'GZIP'):
    raise ValueError(f'compression must be empty or GZIP, got {compression!r}')
  compression = compression or None
  options = local_pipeline_options(pipeline_options)
  fileio.set_options(options)
  with build_lock.hold(output_dir):
    return _build_locked(
        audio_paths, output_dir, options, tracklist=tracklist, eras=eras,
        windowing=windowing, split_fractions=split_fractions,
        split_by=split_by, folds=folds, fold=fold, shard_mb=shard_mb,
        train_shards_open=train_shards_open, compression=compression,
        silence_peak=silence_peak, source=source)


def _build_locked(audio_paths, output_dir, options, *, tracklist, eras,
                  windowing, split_fractions, split_by, folds, fold, shard_mb,
                  train_shards_open, compression, silence_peak, source):
  """`build_records` once it holds output_dir's lock."""
  # Under the lock no other build is running: any temporary directory here
  # was left by an interrupted one.
  for stale in fileio.glob_dirs(fileio.join(output_dir, _TMP_PREFIX + '*')):
    fileio.delete_tree(stale)
  tmp_dir = fileio.join(output_dir, _TMP_PREFIX + uuid.uuid4().hex)
  fileio.makedirs(tmp_dir)
  chosen, duplicates = select_files(audio_paths)
  split_of = None
  if folds:
    split_of = naming.fold_splits(
        _group_eras(chosen, tracklist, eras, split_by), folds, fold)

  with beam.Pipeline(options=options) as p:
    labelled = (
        p
        | 'ListFiles' >> beam.Create(chosen)
        | 'Label' >> beam.FlatMap(_label, tracklist=tracklist, eras=eras,
                                  split_by=split_by
                                  ).with_outputs('failures', main='tapes'))
    probed = (
        labelled.tapes
        | 'SpreadTapes' >> beam.Reshuffle()
        | 'Probe' >> beam.FlatMap(_probe, windowing=windowing
                                  ).with_outputs('failures', main='tapes'))
    decoded = (
        probed.tapes
        | 'Decode' >> beam.FlatMap(_decode, windowing=windowing
                                   ).with_outputs('failures', main='windows'))
    shards = (
        decoded.windows
        | 'DropSilence' >> beam.Filter(_is_sound, silence_peak=silence_peak)
        | 'ToExample' >> beam.Map(_to_example, fractions=split_fractions,
                                  split_of=split_of)
        | 'WriteShards' >> beam.ParDo(_WriteShards(
            tmp_dir, shard_bytes=int(shard_mb * 2**20),
            compression=compression, train_shards_open=train_shards_open)))
    failures = (
        (p | 'Duplicates' >> beam.Create(duplicates), labelled.failures,
         probed.failures, decoded.failures)
        | 'Failures' >> beam.Flatten())
    _ = (
        p
        | 'Once' >> beam.Create([None])
        | 'Finalize' >> beam.Map(
            _finalize, shards=beam.pvalue.AsList(shards),
            failures=beam.pvalue.AsList(failures), output_dir=output_dir,
            tmp_dir=tmp_dir, eras=eras, windowing=windowing,
            compression=compression, source=source, split_by=split_by,
            folds={'folds': folds, 'fold': fold} if folds else None))
  info = fileio.read_json(fileio.join(output_dir, INFO_FILE))
  logging.info('wrote %s', {s: v['windows'] for s, v in info['splits'].items()})
  return info
