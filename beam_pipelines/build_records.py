r"""Builds sharded TFRecords of raw 15 s windows from scraped tapes.

  python -m beam_pipelines.build_records --runner=DirectRunner \
      --input=tapes/ --output_dir=tfrecords/

Beam's own flags (--runner, --direct_num_workers, --project, --region,
--temp_location, --setup_file, ...) pass through to Beam.
"""

import json
import shlex

from absl import app
from absl import flags
from absl import logging

from beam_pipelines import build_lock
from beam_pipelines import build_progress
from beam_pipelines import build_records_lib
from beam_pipelines import build_steps
from beam_pipelines import fileio
from beam_pipelines import tape_files
from beam_pipelines import tracklist_lib
from jazzcnn import audio
from jazzcnn import cli
from jazzcnn import dataset_info
from jazzcnn import naming

_INPUT = flags.DEFINE_string(
    'input', 'tapes/',
    f'Directory (searched recursively) or glob of {naming.AUDIO_FORMATS} '
    'tapes, local or gs://; audio of other formats (M4A, WMA, ...) is '
    'named among the skipped files, with how to convert it.')
_TRACKLIST = flags.DEFINE_string(
    'tracklist', tracklist_lib.DEFAULT_TRACKLIST,
    'CSV "title,year"; a file belongs to the row whose title is its name '
    'without extension. Default: the Niven collection\'s track list.')
_OUTPUT_DIR = flags.DEFINE_string(
    'output_dir', 'tfrecords/', 'Where shards and dataset_info.json go.')
_ERAS = flags.DEFINE_string(
    'eras', naming.DEFAULT_ERAS,
    'Comma-separated name:first-last year ranges (inclusive), in label order.')
_TRIM_SECONDS = flags.DEFINE_float(
    'trim_seconds', 300.0,
    'Seconds dropped at each end of a tape (Niven\'s spoken commentary); '
    '0 keeps everything.')
_WINDOW_SECONDS = flags.DEFINE_float('window_seconds', 15.0,
                                     'Window length in seconds.')
_HOP_SECONDS = flags.DEFINE_float(
    'hop_seconds', 15.0, 'Seconds between window starts; < window overlaps.')
_SAMPLE_RATE = flags.DEFINE_integer('sample_rate', 16000,
                                    'Output sample rate in Hz.')
_SPLIT_FRACTIONS = flags.DEFINE_list(
    'split_fractions', ['0.8', '0.1', '0.1'],
    'Fractions of groups (--split_by) in train, validation, test, by a '
    'stable hash of the group key.')
_SPLIT_BY = flags.DEFINE_enum(
    'split_by', naming.DEFAULT_SPLIT_BY, list(naming.SPLIT_BY),
    'Tapes grouped so that a group never straddles two splits: tape (each '
    'alone), artist (the name before _Tape_), artist_era (an artist\'s tapes '
    'of one era).')
_FOLDS = flags.DEFINE_integer(
    'folds', 0, 'K >= 3: group-stratified K-fold splits instead of '
    '--split_fractions (each fold holds ~1/K of every era\'s groups); 0: off.')
_FOLD = flags.DEFINE_integer(
    'fold', 0, 'With --folds: the test fold; validation is the next one.')
_SHARD_MB = flags.DEFINE_float(
    'shard_mb', 128.0, 'A shard is closed once it holds this many MB.',
    lower_bound=0.01)
_TRAIN_SHARDS_OPEN = flags.DEFINE_integer(
    'train_shards_open', 8, 'Train shards a worker writes at once, '
    'round-robin, so each shard mixes that many times more tapes.',
    lower_bound=1)
_COMPRESSION = flags.DEFINE_enum('compression', '', ['', 'GZIP'],
                                 'TFRecord compression; empty for none.')
_SILENCE_PEAK = flags.DEFINE_integer(
    'silence_peak', audio.SILENCE_PEAK,
    'Windows whose int16 samples all lie within +-this are digital silence '
    'and dropped; -1 keeps them.')


def _check_input():
  """--input's audio files; fails in one line when none is decoded here,
  and warns before the build of the files whose format is not."""
  # The builder selects again; this is a sort of file names, for the lines.
  try:
    paths, _, left_out = tape_files.input_files(_INPUT.value)
  except ValueError as e:
    raise app.UsageError(str(e))
  logging.info('%d audio files in %s', len(paths), _INPUT.value)
  undecoded = [f for f in left_out if f['reason'] == build_steps.UNDECODED]
  if undecoded:  # Said before the build, not only among its skips.
    logging.warning('skipping %d of the %d audio files: %s (each is in '
                    'dataset_info.json "failures")', len(undecoded),
                    len(paths), undecoded[0]['detail'])
  return paths


def _warn_of_missing_eras(info):
  """Warns of eras with no windows at all, or absent from some split."""
  absent = dataset_info.absent_eras(info)
  if absent:
    logging.warning('no windows of %s: the records hold the other eras only '
                    '(--eras sets the eras and their years)', ', '.join(absent))
  missing = dataset_info.missing_eras(info, ignore=absent)
  if missing:
    preview = shlex.join([
        'python', '-m', 'beam_pipelines.tracklist', f'--input={_INPUT.value}',
        f'--tracklist={_TRACKLIST.value}', f'--eras={_ERAS.value}',
        f'--split_by={_SPLIT_BY.value}',
        *([f'--folds={_FOLDS.value}', f'--fold={_FOLD.value}'] if _FOLDS.value
          else [f'--split_fractions={",".join(_SPLIT_FRACTIONS.value)}'])])
    logging.warning('eras missing from splits: %s (--split_by=%s; %s shows '
                    'the split before a build)', '; '.join(missing),
                    _SPLIT_BY.value, preview)
  if missing and not _FOLDS.value:
    logging.warning('for a corpus this small, build with --folds=5 --fold=I '
                    '(I = 0..4): each era\'s groups are dealt to every fold, '
                    'so an era of 5 or more groups is in every split')


def main(argv):
  # Driver-side reads (gs:// too) use the pipeline's credentials options.
  fileio.set_options(build_records_lib.local_pipeline_options(argv[1:]))
  try:
    eras = naming.parse_eras(_ERAS.value)
    tracklist = naming.read_tracklist(_TRACKLIST.value,
                                      read_text=fileio.read_text)
    windowing = audio.Windowing.from_seconds(
        sample_rate=_SAMPLE_RATE.value, window_seconds=_WINDOW_SECONDS.value,
        hop_seconds=_HOP_SECONDS.value, trim_seconds=_TRIM_SECONDS.value)
    fractions = tuple(float(x) for x in _SPLIT_FRACTIONS.value)
    build_records_lib.check_splitting(fractions, _SPLIT_BY.value,
                                      _FOLDS.value, _FOLD.value)
  except (ValueError, OSError) as e:
    raise app.UsageError(str(e))
  paths = _check_input()
  try:
    with build_progress.watch(_OUTPUT_DIR.value):
      info = build_records_lib.build_records(
          paths, _OUTPUT_DIR.value, tracklist=tracklist, eras=eras,
          windowing=windowing, split_fractions=fractions,
          split_by=_SPLIT_BY.value, folds=_FOLDS.value, fold=_FOLD.value,
          shard_mb=_SHARD_MB.value, train_shards_open=_TRAIN_SHARDS_OPEN.value,
          compression=_COMPRESSION.value or None,
          silence_peak=_SILENCE_PEAK.value, pipeline_options=argv[1:],
          source=_INPUT.value)
  except build_lock.Unavailable as e:
    raise app.UsageError(str(e))
  summary = {split: {k: v[k] for k in ('windows', 'tapes', 'hours',
                                       'windows_per_era')}
             for split, v in info['splits'].items()}
  skipped, cut_short = dataset_info.skipped_and_cut_short(info)
  print(json.dumps({'output_dir': _OUTPUT_DIR.value, 'splits': summary,
                    'skipped': skipped, 'cut_short': cut_short}, indent=1))
  _warn_of_missing_eras(info)


if __name__ == '__main__':
  # Flags absl does not know are Beam's; they reach main in argv.
  cli.run(main, known_only=True,
          on_interrupt='the records there are as before; rerunning builds')
