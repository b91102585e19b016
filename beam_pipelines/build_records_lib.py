"""Beam pipeline: scraped tapes → sharded TFRecords of raw windows, split by group."""

import collections
import datetime
import logging
import os
import posixpath
import uuid

import apache_beam as beam
from apache_beam.options import pipeline_options as beam_options

from beam_pipelines import build_lock
from beam_pipelines import build_steps as steps
from beam_pipelines import fileio
from beam_pipelines import tape_files
from jazzcnn import audio
from jazzcnn import dataset_info
from jazzcnn import errors
from jazzcnn import globs
from jazzcnn import naming


TMP_PREFIX = '.build-tmp-'


def group_eras(paths, tracklist, eras, split_by):
  """{group key: era} of the labelled tapes among `paths` (for folds)."""
  return {group: era for era, group in naming.labelled_groups(
      map(naming.tape_id, paths), tracklist, eras, split_by).values()}


def _finalize(unused_element, *, shards, probed, failures, output_dir,
              tmp_dir, eras, windowing, silence_peak, compression, source,
              split_by, folds):
  """Moves the shards into place, then switches dataset_info.json to them.

  The new shards' names carry this build's id, so an earlier build's shards
  and dataset_info.json stay whole and readable until the new
  dataset_info.json replaces the old one in one rename; the earlier shards
  are deleted after that. A crash at any point leaves one complete result.
  """
  build = posixpath.basename(tmp_dir)[len(TMP_PREFIX):][:8]
  suffix = f'-{build}.tfrecord' + ('.gz' if compression == 'GZIP' else '')
  info_path = fileio.join(output_dir, dataset_info.FILE)
  earlier = [p for split in dataset_info.SPLITS for p in fileio.glob(
      globs.inside(output_dir, f'{split}-*-of-*.tfrecord*'))]
  names = [e.name for e in eras]
  splits = {}
  for split in dataset_info.SPLITS:
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
  written = {t for split in splits.values() for t in split['tape_ids']}
  failures = list(failures) + steps.silent_tapes(
      probed, written, failures, silence_peak=silence_peak)
  info = dataset_info.make(
      eras=names, era_years={e.name: [e.first, e.last] for e in eras},
      sample_rate=windowing.sample_rate, window_samples=windowing.window,
      hop_samples=windowing.hop,
      trim_seconds=windowing.trim / windowing.sample_rate,
      silence_peak=silence_peak, splits=splits, compression=compression,
      split_by=split_by, folds=folds, failures=failures, source=source,
      created=datetime.datetime.now(datetime.timezone.utc).isoformat(
          timespec='seconds'))
  tmp_info = fileio.join(tmp_dir, dataset_info.FILE)
  fileio.write_text(tmp_info, dataset_info.dumps(info))
  if not shards:  # Every tape skipped: publish nothing; build_records says so.
    return info
  fileio.rename(tmp_info, info_path)  # The switch.
  fileio.delete(earlier)
  fileio.delete_tree(tmp_dir)
  return info


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
                  split_fractions=(0.8, 0.1, 0.1),
                  split_by=naming.DEFAULT_SPLIT_BY,
                  folds=0, fold=0, shard_mb=128.0,
                  train_shards_open=8, compression=None,
                  silence_peak=audio.SILENCE_PEAK,
                  pipeline_options=(), source=''):
  """Runs the records pipeline and returns the written dataset_info dict.

  Args:
    audio_paths: audio files (local or gs://), e.g. from
      `tape_files.list_audio`.
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
      so that every shard mixes tapes (see `build_steps.WriteShards`). Each
      open shard
      costs a writer buffer (16 MB on gs://).
    compression: None or 'GZIP'.
    silence_peak: windows whose samples all lie within ±this (int16) are
      digital silence and dropped (-1: none); recorded in dataset_info.json
      for `predict` to skip them too.
    pipeline_options: Beam argv (e.g. ['--runner=DataflowRunner', ...]).
    source: recorded in dataset_info.json (the input pattern).

  Raises:
    build_lock.Unavailable: another build is writing into output_dir, or it
      cannot be written.
  """
  check_splitting(split_fractions, split_by, folds, fold)
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


def check_splitting(split_fractions, split_by, folds, fold):
  """Raises ValueError unless `build_records` can split this way (the
  command checks before it lists any file)."""
  if len(split_fractions) != 3 or min(split_fractions) < 0 or abs(
      sum(split_fractions) - 1) > 1e-6:
    raise ValueError(f'split fractions must be 3 values >= 0 summing to 1, '
                     f'got {tuple(split_fractions)}')
  if folds and (folds < 3 or not 0 <= fold < folds):
    raise ValueError(f'need --folds >= 3 and 0 <= --fold < --folds, got '
                     f'folds={folds}, fold={fold}')
  if fold and not folds:  # Else the fractions' split, silently.
    raise ValueError(f'--fold={fold} needs --folds (K >= 3 folds, --fold the '
                     'test one)')
  if split_by not in naming.SPLIT_BY:
    raise ValueError(f'split_by must be one of {naming.SPLIT_BY}, got '
                     f'{split_by!r}')


def _build_locked(audio_paths, output_dir, options, *, tracklist, eras,
                  windowing, split_fractions, split_by, folds, fold, shard_mb,
                  train_shards_open, compression, silence_peak, source):
  """`build_records` once it holds output_dir's lock."""
  # Under the lock no other build is running: any temporary directory here
  # was left by an interrupted one.
  for stale in fileio.glob_dirs(output_dir, TMP_PREFIX + '*'):
    fileio.delete_tree(stale)
  tmp_dir = fileio.join(output_dir, TMP_PREFIX + uuid.uuid4().hex)
  fileio.makedirs(tmp_dir)
  chosen, duplicates = tape_files.select_files(audio_paths)
  split_of = None
  if folds:
    split_of = naming.fold_splits(
        group_eras(chosen, tracklist, eras, split_by), folds, fold)

  with beam.Pipeline(options=options) as p:
    labelled = (
        p
        | 'ListFiles' >> beam.Create(chosen)
        | 'Label' >> beam.FlatMap(steps.label_tape, tracklist=tracklist,
                                  eras=eras,
                                  split_by=split_by
                                  ).with_outputs('failures', main='tapes'))
    probed = (
        labelled.tapes
        | 'SpreadTapes' >> beam.Reshuffle()
        | 'Probe' >> beam.FlatMap(steps.probe, windowing=windowing
                                  ).with_outputs('failures', main='tapes'))
    probed_ids = (probed.tapes
                  | 'TapeIds' >> beam.Map(lambda t: (t['tape_id'], t['path'])))
    decoded = (
        probed.tapes
        | 'Decode' >> beam.FlatMap(steps.decode, windowing=windowing
                                   ).with_outputs('failures', main='windows'))
    shards = (
        decoded.windows
        | 'DropSilence' >> beam.Filter(steps.is_sound,
                                       silence_peak=silence_peak)
        | 'ToExample' >> beam.Map(steps.to_example, fractions=split_fractions,
                                  split_of=split_of)
        | 'WriteShards' >> beam.ParDo(steps.WriteShards(
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
            probed=beam.pvalue.AsList(probed_ids),
            failures=beam.pvalue.AsList(failures), output_dir=output_dir,
            tmp_dir=tmp_dir, eras=eras, windowing=windowing,
            silence_peak=silence_peak, compression=compression,
            source=source, split_by=split_by,
            folds={'folds': folds, 'fold': fold} if folds else None))
  return _published(output_dir, tmp_dir)


# What to change when every tape was skipped for these reasons.
_HINTS = {
    steps.UNLISTED: ('; a file is unlisted when its name without the '
                     'extension is no title of the track list (--tracklist)'),
    audio.TOO_SHORT: ('; too short: no whole window between the trims at '
                      "each end (--trim_seconds; 0 for tapes without "
                      "Niven's spoken commentary)"),
}


def _published(output_dir, tmp_dir):
  """The dataset_info the build published; DataError if it found no
  windows (then `_finalize` left its dataset_info in tmp_dir)."""
  unpublished = fileio.join(tmp_dir, dataset_info.FILE)
  if fileio.exists(unpublished):
    skipped = fileio.read_json(unpublished)['failure_counts']
    fileio.delete_tree(tmp_dir)
    raise errors.DataError(
        'no windows: every tape was skipped (' + (', '.join(
            f'{k}: {n}' for k, n in skipped.items()) or 'none read') +
        ') and nothing was written' + ''.join(
            h for reason, h in _HINTS.items() if reason in skipped))
  info = fileio.read_json(fileio.join(output_dir, dataset_info.FILE))
  logging.info('wrote %s', {s: v['windows'] for s, v in info['splits'].items()})
  return info
