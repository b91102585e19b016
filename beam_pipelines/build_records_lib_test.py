"""Tests for the records pipeline: each transform, then the whole job."""

import json
import os
import re
import shlex

import apache_beam as beam
from apache_beam.testing import test_pipeline
from apache_beam.testing import util as beam_util
import numpy as np
import pytest
import soundfile
import soxr
import tensorflow as tf

import conftest
from beam_pipelines import build_records_lib as lib
from beam_pipelines import build_steps as steps
from beam_pipelines import demo_tapes_lib
from beam_pipelines import tape_files
from jazzcnn import audio
from jazzcnn import dataset_info
from jazzcnn import features
from jazzcnn import naming

ERAS = naming.parse_eras(naming.DEFAULT_ERAS)
# One-second windows keep the tapes tiny; the code paths are the real ones.
WINDOWING = audio.Windowing(sample_rate=16000, window=16000, hop=16000,
                            trim=16000)
IN_PROCESS = ['--direct_num_workers=1']


def _pipeline():
  """A TestPipeline on the FnApiRunner in this process: a plain TestPipeline
  is a DirectRunner, which first tries to download PrismRunner (offline: a
  failed fetch and an empty /tmp/beam-temp* directory left per test)."""
  return test_pipeline.TestPipeline(
      options=lib.local_pipeline_options(IN_PROCESS))


def test_label_step_tags_unlisted_and_unlabelled():
  tracklist = {'A_Tape_1_1925': '', 'B_Tape_2_1962': '', 'C_Tape_': ''}
  paths = ['/x/A_Tape_1_1925.mp3', '/x/B_Tape_2_1962.flac', '/x/C_Tape_.wav',
           '/x/D_Tape_9_1925.wav']
  with _pipeline() as p:
    out = (p | beam.Create(paths)
           | beam.FlatMap(steps.label_tape, tracklist=tracklist, eras=ERAS,
                          split_by='artist_era'
                          ).with_outputs('failures', main='tapes'))
    beam_util.assert_that(out.tapes, beam_util.equal_to([
        {'path': '/x/A_Tape_1_1925.mp3', 'tape_id': 'A_Tape_1_1925',
         'era': 'early', 'label': 0, 'group': 'A|early'}]), label='tapes')
    beam_util.assert_that(
        out.failures | beam.Map(
            lambda f: (f['path'], f['reason'], f['detail'])),
        beam_util.equal_to([
            ('/x/B_Tape_2_1962.flac', 'outside',
             'years 1962 lie in no era (--eras)'),
            ('/x/C_Tape_.wav', 'unlabelled',
             'no 19xx year in the title, and no year in the track list'),
            ('/x/D_Tape_9_1925.wav', 'unlisted',
             "no row titled 'D_Tape_9_1925' in the track list")]),
        label='failures')


def test_probe_and_decode_steps(tmp_path):
  good = str(tmp_path / 'good.wav')
  soundfile.write(good, np.full(5 * 16000, 0.25, np.float32), 16000)
  short = str(tmp_path / 'short.wav')
  soundfile.write(short, np.full(2 * 16000, 0.25, np.float32), 16000)
  junk = tmp_path / 'junk.flac'
  junk.write_bytes(b'nope' * 100)
  fails_to_read = '/proc/self/mem'  # Every read fails with EIO.
  tapes = [{'path': p, 'tape_id': os.path.basename(p), 'era': 'early',
            'label': 0} for p in (good, short, str(junk), fails_to_read)]
  with _pipeline() as p:
    probed = (p | beam.Create(tapes)
              | beam.FlatMap(steps.probe, windowing=WINDOWING
                             ).with_outputs('failures', main='tapes'))
    beam_util.assert_that(
        probed.failures | beam.Map(lambda f: (
            os.path.basename(f['path']), f['reason'],
            f['detail'] if f['reason'] == 'too_short' else '')),
        beam_util.equal_to([
            ('short.wav', 'too_short', 'too_short: 2.0 s leaves no 1 s window '
             'once 1 s are trimmed from each end'),
            ('junk.flac', 'unreadable', ''),
            ('mem', 'read_error', '')]), label='failures')
    windows = (probed.tapes
               | beam.FlatMap(steps.decode, windowing=WINDOWING)
               | beam.Map(lambda item: (item[0]['tape_id'], item[1],
                                        item[2].shape, int(item[2][0]))))
    # 5 s minus 1 s trims: 3 windows at offsets 1, 2, 3 s.
    beam_util.assert_that(windows, beam_util.equal_to([
        ('good.wav', o, (16000,), 8192) for o in (16000, 32000, 48000)]),
                          label='windows')


def test_a_tape_failing_part_way_keeps_its_windows_and_says_how_many(
    tmp_path, monkeypatch):
  path = str(tmp_path / 'T_1925.wav')
  soundfile.write(path, np.full(20 * 16000, 0.25, np.float32), 16000)
  data = open(path, 'rb').read()
  monkeypatch.setattr(steps.fileio, 'open_read',
                      lambda p: conftest.FailingReader(data, len(data) // 2))
  tape = {'path': path, 'tape_id': 'T_1925', 'era': 'early', 'label': 0}
  out = list(steps.decode(tape, windowing=WINDOWING))
  windows = [o for o in out if not isinstance(o, beam.pvalue.TaggedOutput)]
  (failure,) = [o.value for o in out if isinstance(o, beam.pvalue.TaggedOutput)]
  assert 5 <= len(windows) <= 10  # 18 windows in all; reads fail half-way.
  assert (failure['reason'], failure['windows_kept']) == (
      audio.READ_ERROR, len(windows))
  assert failure['detail'].startswith('read_error: at ')
  # The build's summary lists it as cut short, the others as skipped.
  # A tape whose kept windows were all digital silence is in no split: it
  # gave the records nothing, so it counts as skipped.
  info = {'failures': [failure, steps.failure('a.wav', audio.TOO_SHORT),
                       steps.failure('b.wav', audio.DECODE_ERROR,
                                     windows_kept=0),
                       steps.failure('/x/Hush.wav', audio.READ_ERROR,
                                     windows_kept=2)],
          'splits': {'train': {'tape_ids': ['T_1925']}}}
  assert dataset_info.skipped_and_cut_short(info) == (
      {'too_short': 1, 'decode_error': 1, 'read_error': 1}, {'read_error': 1})


def test_a_tape_of_nothing_but_silence_is_reported_not_dropped_unseen():
  probed = [('Loud_1925', '/t/Loud_1925.wav'), ('Hush_1925', '/t/Hush_1925.wav'),
            ('Cut_1925', '/t/Cut_1925.wav')]
  cut = steps.failure('/t/Cut_1925.wav', audio.READ_ERROR, windows_kept=1)
  assert steps.silent_tapes(probed, {'Loud_1925'}, [cut], silence_peak=1) == [
      steps.failure('/t/Hush_1925.wav', audio.SILENT,
                    'every window is digital silence (no sample beyond ±1)')]


def test_silence_and_example_steps():
  tape = {'path': 'p', 'tape_id': 'T_1925', 'era': 'early', 'label': 0,
          'group': 'T_1925|early'}
  loud = np.full(16000, 1000, np.int16)
  quiet = np.ones(16000, np.int16)  # ±1 LSB: digital silence.
  with _pipeline() as p:
    out = (p | beam.Create([(tape, 0, loud), (tape, 16000, quiet)])
           | beam.Filter(steps.is_sound, silence_peak=1)
           | beam.Map(steps.to_example, fractions=(1.0, 0.0, 0.0),
                      split_of=None)
           | beam.Map(lambda r: (r[0], r[1], r[2],
                                 features.parse_single(r[3])[features.OFFSET])))
    beam_util.assert_that(out, beam_util.equal_to([('train', 'T_1925', 0, 0)]))


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
  """Demo tapes plus every kind of bad input the job must survive."""
  root = tmp_path_factory.mktemp('tapes')
  expected = demo_tapes_lib.make_demo_tapes(
      str(root), tapes_per_era=3, tape_seconds=7, commentary_seconds=1)
  rows = open(root / 'tracklist.csv').read()
  extra = {}
  # Lossy copy of a FLAC tape: a duplicate, not a second tape.
  flac = next(p for p in os.listdir(root) if p.endswith('.flac'))
  data, rate = soundfile.read(root / flac)
  soundfile.write(root / flac.replace('.flac', '.mp3'), data, rate)
  extra[flac.replace('.flac', '.mp3')] = 'duplicate'
  # A labelled tape as Opus (48 kHz) instead of Vorbis: read like the others.
  ogg = next(p for p in sorted(os.listdir(root)) if p.endswith('.ogg'))
  data, rate = soundfile.read(root / ogg)
  soundfile.write(root / ogg.replace('.ogg', '.opus'),
                  soxr.resample(data, rate, 48000), 48000, format='OGG',
                  subtype='OPUS')
  os.remove(root / ogg)
  # Audio of a format libsndfile cannot decode: named, not passed over.
  (root / 'Bad_Phone_Tape_1925.m4a').write_bytes(b'\0\0\0\x20ftypM4A ')
  extra['Bad_Phone_Tape_1925.m4a'] = 'undecoded_format'
  # Listed tapes that cannot be used.
  (root / 'Bad_Empty_Tape_1925.wav').write_bytes(b'')
  extra['Bad_Empty_Tape_1925.wav'] = 'unreadable'
  (root / 'Bad_Link_Tape_1925.mp3').symlink_to(root / 'gone' / 'a.mp3')
  extra['Bad_Link_Tape_1925.mp3'] = 'unreadable'
  whole = open(root / flac, 'rb').read()
  (root / 'Bad_Cut_Tape_1925.flac').write_bytes(whole[:len(whole) // 2])
  extra['Bad_Cut_Tape_1925.flac'] = 'truncated'
  soundfile.write(root / 'Bad_Short_Tape_1925.wav',
                  np.full(16000 * 2, 0.1, np.float32), 16000)
  extra['Bad_Short_Tape_1925.wav'] = 'too_short'
  # A tape of digital silence with one loud second: 1 window survives.
  quiet = np.zeros(16000 * 6, np.float32)
  quiet[16000 * 2:16000 * 3] = 0.5
  soundfile.write(root / 'Quiet_Tape_1940.wav', quiet, 16000)
  # Nothing but digital silence: no window survives, and the build says so.
  soundfile.write(root / 'Bad_Silent_Tape_1925.wav', quiet * 0, 16000)
  extra['Bad_Silent_Tape_1925.wav'] = 'silent'
  rows += ''.join(f'{t},1925\n' for t in
                  ('Bad_Empty_Tape_1925', 'Bad_Link_Tape_1925',
                   'Bad_Cut_Tape_1925',
                   'Bad_Short_Tape_1925', 'Bad_Silent_Tape_1925')
                  ) + 'Quiet_Tape_1940,\n'
  (root / 'tracklist.csv').write_text(rows)
  (root / 'notes.txt').write_text('not a tape; ignored by extension\n')
  return str(root), expected, extra


def _build(corpus_dir, output_dir, options, **kwargs):
  kwargs.setdefault('shard_mb', 0.1)
  return lib.build_records(
      tape_files.list_audio(corpus_dir), output_dir,
      tracklist=naming.read_tracklist(
          os.path.join(corpus_dir, 'tracklist.csv')),
      eras=ERAS, windowing=WINDOWING, pipeline_options=options,
      source=corpus_dir, **kwargs)


def _read_split(output_dir, info, split):
  paths = [os.path.join(output_dir, f) for f in info['splits'][split]['files']]
  return [features.parse_single(r.numpy())
          for r in tf.data.TFRecordDataset(paths)]


def test_end_to_end_on_the_local_runner(corpus, tmp_path):
  corpus_dir, expected, extra = corpus
  out = str(tmp_path / 'records')
  # The default local options: FnApiRunner, one worker thread per core.
  info = _build(corpus_dir, out, [])
  assert info['eras'] == ['early', 'swing', 'bop', 'cool']
  assert (info['sample_rate'], info['window_samples']) == (16000, 16000)
  assert info['silence_peak'] == 1  # The default, for `predict` to use.
  labelled = {t: e for t, e in expected.items() if e in info['eras']}
  labelled['Quiet_Tape_1940'] = 'swing'
  seen = {}
  for split in dataset_info.SPLITS:
    records = _read_split(out, info, split)
    assert len(records) == info['splits'][split]['windows'] > 0
    for r in records:
      assert r[features.WAVEFORM].shape == (16000,)
      assert r[features.ERA] == labelled[r[features.TAPE_ID]]
      assert r[features.LABEL] == info['eras'].index(r[features.ERA])
      group = naming.split_key(r[features.TAPE_ID], r[features.ERA],
                               'artist_era')  # The default split_by.
      assert naming.assign_split(group, (0.8, 0.1, 0.1)) == split
      assert seen.setdefault(group, split) == split  # Groups are disjoint.
      assert group in info['splits'][split]['groups']
    assert sorted({r[features.TAPE_ID] for r in records}) == \
        info['splits'][split]['tape_ids']
    era_counts = {e: sum(r[features.ERA] == e for r in records)
                  for e in info['eras']}
    assert era_counts == info['splits'][split]['windows_per_era']
  # 7 s demo tapes with 1 s trims: 5 windows each; the quiet tape keeps 1.
  windows = {}
  for split in dataset_info.SPLITS:
    for r in _read_split(out, info, split):
      windows[r[features.TAPE_ID]] = windows.get(r[features.TAPE_ID], 0) + 1
  assert windows == {t: (1 if t == 'Quiet_Tape_1940' else 5) for t in labelled}
  reasons = {os.path.basename(f['path']): f['reason'] for f in info['failures']}
  want = {t: r for t, r in expected.items() if r not in info['eras']}
  want = {next(p for p in os.listdir(corpus_dir)
               if os.path.splitext(p)[0] == t): r for t, r in want.items()}
  assert reasons == {**want, **extra}
  (link,) = [f for f in info['failures'] if 'Bad_Link' in f['path']]
  assert link['detail'].startswith('no such file: a link to nothing'), link
  # Nothing else is left in the output directory.
  files = sorted(f for s in info['splits'].values() for f in s['files'])
  assert sorted(os.listdir(out)) == sorted(files + [dataset_info.FILE])
  # Sharded by size: a shard closes once it passes shard_mb (0.1 MB here).
  assert len(info['splits']['train']['files']) > 1
  for f in files:
    assert os.path.getsize(os.path.join(out, f)) < 0.1 * 2**20 + 33000


def test_train_shards_mix_tapes_round_robin(tmp_path):
  writer = steps.WriteShards(str(tmp_path), shard_bytes=10**9,
                            compression=None, train_shards_open=3)
  writer.start_bundle()
  items = []
  for tape in ('a', 'b'):
    for offset in range(7):
      example = features.make_example(np.zeros(4, np.int16), label=0,
                                      era='early', tape_id=tape, offset=offset)
      items.append(('train', tape, 0, example))
      items.append(('test', tape, 0, example))  # Test keeps one shard.
  for item in items:
    writer.process(item)
  shards = [w.value for w in writer.finish_bundle()]
  by_split = {}
  for shard in shards:
    records = [features.parse_single(r.numpy()) for r in
               tf.data.TFRecordDataset(shard['path'])]
    by_split.setdefault(shard['split'], []).append(
        [(r[features.TAPE_ID], r[features.OFFSET]) for r in records])
  # Window n of the split goes to shard n % 3: every tape in every shard.
  assert sorted(by_split['train']) == [
      [('a', 0), ('a', 3), ('a', 6), ('b', 2), ('b', 5)],
      [('a', 1), ('a', 4), ('b', 0), ('b', 3), ('b', 6)],
      [('a', 2), ('a', 5), ('b', 1), ('b', 4)]]
  assert by_split['test'] == [[(t, o) for t in 'ab' for o in range(7)]]
  assert [s['tapes'] for s in shards if s['split'] == 'train'] == [
      {'a': 0, 'b': 0}] * 3


def test_each_train_tape_is_spread_over_the_open_shards(corpus, tmp_path):
  corpus_dir, _, _ = corpus
  out = str(tmp_path / 'records')
  info = _build(corpus_dir, out, ['--direct_num_workers=1'], shard_mb=10,
                train_shards_open=3)
  shards_of = {}
  for name in info['splits']['train']['files']:
    for record in tf.data.TFRecordDataset(os.path.join(out, name)):
      tape = features.parse_single(record.numpy())[features.TAPE_ID]
      shards_of.setdefault(tape, set()).add(name)
  assert shards_of and all(len(s) == 3 for t, s in shards_of.items()
                           if t != 'Quiet_Tape_1940')  # 5 windows each.
  with pytest.raises(ValueError, match='train_shards_open'):
    _build(corpus_dir, out, [], train_shards_open=0)


def test_rerun_replaces_output_and_failed_run_leaves_no_final_shards(
    corpus, tmp_path, monkeypatch):
  corpus_dir, _, _ = corpus
  out = str(tmp_path / 'records')
  first = _build(corpus_dir, out, IN_PROCESS)
  before = sorted(os.listdir(out))

  def broken(item, *, fractions, split_of):
    raise RuntimeError('disk on fire')

  monkeypatch.setattr(steps, 'to_example', broken)
  with pytest.raises(Exception, match='disk on fire'):
    _build(corpus_dir, out, IN_PROCESS)
  monkeypatch.undo()
  # The failed run renamed nothing; its temporary files are out of sight.
  visible = sorted(f for f in os.listdir(out) if not f.startswith('.'))
  assert visible == before
  second = _build(corpus_dir, out, IN_PROCESS)
  assert sorted(os.listdir(out)) == sorted(
      [dataset_info.FILE] + [f for s in second['splits'].values()
                         for f in s['files']])
  for split in dataset_info.SPLITS:
    assert second['splits'][split]['windows'] == \
        first['splits'][split]['windows']
    records = _read_split(out, second, split)
    keys = [(r[features.TAPE_ID], r[features.OFFSET]) for r in records]
    assert len(keys) == len(set(keys)) == second['splits'][split]['windows']


def test_a_folder_named_with_brackets_is_built_and_its_neighbours_kept(
    corpus, tmp_path):
  """'records[12]' is one folder's name, not a glob of 'records1' and
  'records2': an earlier build's shards and a dead build's temporary folder
  are found in it, and nothing is deleted next to it."""
  corpus_dir, _, _ = corpus
  neighbour = tmp_path / 'records1'
  (neighbour / (lib.TMP_PREFIX + 'running')).mkdir(parents=True)
  for name in ('train-00000-of-00001-aaaaaaaa.tfrecord',
               lib.TMP_PREFIX + 'running/shard'):
    (neighbour / name).write_bytes(b'another build')
  out = str(tmp_path / 'records[12]')
  _build(corpus_dir, out, IN_PROCESS)
  os.mkdir(os.path.join(out, lib.TMP_PREFIX + 'dead'))
  second = _build(corpus_dir, out, IN_PROCESS)
  assert sorted(os.listdir(out)) == sorted(
      [dataset_info.FILE] + [f for s in second['splits'].values()
                         for f in s['files']])
  assert sorted(str(p.relative_to(neighbour))
                for p in neighbour.rglob('*')) == [
                    lib.TMP_PREFIX + 'running',
                    lib.TMP_PREFIX + 'running/shard',
                    'train-00000-of-00001-aaaaaaaa.tfrecord']
  for split in dataset_info.SPLITS:
    assert len(_read_split(out, second, split)) == (
        second['splits'][split]['windows'])


def test_build_records_command(corpus, tmp_path):
  import subprocess
  import sys
  corpus_dir, _, _ = corpus
  out = str(tmp_path / 'cli')
  result = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.build_records',
       '--runner=DirectRunner', '--direct_num_workers=1',
       f'--input={corpus_dir}/*.[wm][a4][va]',  # The WAV and M4A files.
       f'--tracklist={corpus_dir}/tracklist.csv', f'--output_dir={out}',
       '--trim_seconds=1', '--window_seconds=2', '--hop_seconds=1',
       '--compression=GZIP'], capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-3000:]
  info = json.load(open(os.path.join(out, 'dataset_info.json')))
  assert info['window_samples'] == 32000 and info['hop_samples'] == 16000
  assert info['compression'] == 'GZIP'
  assert 'PrismRunner' not in result.stderr  # No download attempt offline.
  # The M4A file is named up front, with the remedy, and skipped.
  assert ('warning: skipping 1 of the 10 audio files: M4A is not decoded '
          'here (MP3/FLAC/OGG/Opus/WAV/AIFF are): convert it first, e.g. '
          'ffmpeg -i Bad_Phone_Tape_1925.m4a Bad_Phone_Tape_1925.flac (each '
          'is in dataset_info.json "failures")') in result.stderr, (
              result.stderr[-2000:])
  assert [f['reason'] for f in info['failures']].count('undecoded_format') == 1
  # 3 tapes an era are too few for one 0.8/0.1/0.1 split: the builder names
  # what is missing and the remedy. (Only the WAV tapes: some eras have none
  # at all, which it says once, apart.)
  absent = dataset_info.absent_eras(info)
  assert absent
  assert (f'no windows of {", ".join(absent)}: the records hold the other '
          'eras only') in result.stderr
  missing = dataset_info.missing_eras(info, ignore=absent)
  assert missing
  assert f'eras missing from splits: {"; ".join(missing)} (' in result.stderr
  assert '--folds=5 --fold=I' in result.stderr
  # The preview it names runs as written, on the same tapes.
  (preview,) = re.findall(r'; python (-m beam_pipelines.tracklist .*) shows '
                          'the split before a build', result.stderr)
  shown = subprocess.run([sys.executable, *shlex.split(preview)],
                         capture_output=True, text=True, check=True)
  labels = json.loads(shown.stdout)['labels']
  assert sum(labels.values()) == len(tape_files.select_files(
      tape_files.list_audio(f'{corpus_dir}/*.[wm][a4][va]'))[0])
  files = [os.path.join(out, f) for f in info['splits']['train']['files']]
  assert all(f.endswith('.tfrecord.gz') for f in files)
  count = sum(1 for _ in tf.data.TFRecordDataset(files, 'GZIP'))
  assert count == info['splits']['train']['windows'] > 0
  bad = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.build_records',
       f'--input={tmp_path}/nothing/*.mp3'], capture_output=True, text=True)
  assert bad.returncode != 0 and 'no MP3/FLAC/OGG/Opus/WAV/AIFF' in bad.stderr


@pytest.mark.parametrize('kwargs', [
    {'split_by': 'tape'}, {'split_by': 'artist'},
    {'split_by': 'artist_era', 'folds': 3, 'fold': 1}])
def test_no_group_crosses_splits(corpus, tmp_path, kwargs):
  corpus_dir, _, _ = corpus
  info = _build(corpus_dir, str(tmp_path / 'records'), IN_PROCESS, **kwargs)
  split_by = kwargs['split_by']
  assert info['split_by'] == split_by
  assert info['folds'] == ({'folds': 3, 'fold': 1} if 'folds' in kwargs
                           else None)
  seen = {}
  for split in dataset_info.SPLITS:
    groups = {naming.split_key(t, e, split_by)
              for t, e in _tape_eras(str(tmp_path / 'records'), info, split)}
    assert groups == set(info['splits'][split]['groups'])
    for group in groups:
      assert seen.setdefault(group, split) == split, group
  if 'folds' in kwargs:  # The folds of every labelled tape, as dealt.
    chosen, _ = tape_files.select_files(tape_files.list_audio(corpus_dir))
    dealt = naming.fold_splits(lib.group_eras(
        chosen, naming.read_tracklist(
            os.path.join(corpus_dir, 'tracklist.csv')), ERAS, split_by), 3, 1)
    for split in dataset_info.SPLITS:
      assert set(info['splits'][split]['groups']) == {
          g for g, s in dealt.items() if s == split} & set(seen)


def _tape_eras(output_dir, info, split):
  return {(r[features.TAPE_ID], r[features.ERA])
          for r in _read_split(output_dir, info, split)}


def test_bad_folds_are_rejected(corpus, tmp_path):
  corpus_dir, _, _ = corpus
  with pytest.raises(ValueError, match='folds >= 3'):
    _build(corpus_dir, str(tmp_path / 'r'), IN_PROCESS, folds=2)
  with pytest.raises(ValueError, match='split_by'):
    _build(corpus_dir, str(tmp_path / 'r'), IN_PROCESS, split_by='band')


def test_a_rebuild_that_dies_before_the_switch_leaves_the_old_result(
    corpus, tmp_path, monkeypatch):
  """Until dataset_info.json is replaced, the earlier build stays whole."""
  corpus_dir, _, _ = corpus
  out = str(tmp_path / 'records')
  first = _build(corpus_dir, out, IN_PROCESS)
  rename = lib.fileio.rename

  def dies_at_the_switch(source, destination):
    if destination.endswith(dataset_info.FILE):
      raise OSError('power cut')
    rename(source, destination)

  monkeypatch.setattr(lib.fileio, 'rename', dies_at_the_switch)
  with pytest.raises(Exception, match='power cut'):
    _build(corpus_dir, out, IN_PROCESS)
  monkeypatch.undo()
  info = json.load(open(os.path.join(out, dataset_info.FILE)))
  assert info == first  # The old description, and the shards it lists:
  for split in dataset_info.SPLITS:
    windows = info['splits'][split]['windows']
    assert len(_read_split(out, info, split)) == windows
