"""Every command against the bad input a user gives it: one line, exit 1.

One table: (command, arguments, what stderr must say). Each case runs the
real command and checks the exit status, that stderr is one line naming the
problem (the per-file lines of predict/embed are one line per file), that
there is no traceback, and that nothing was written under a final name.
"""

import json
import os
import re
import shutil
import sys

import numpy as np
import pytest
import soundfile

import conftest

# Placeholders filled per test: {tmp} a fresh directory holding `afile`
# (text), `latin1.csv` (a non-UTF-8 track list), `empty/` (a directory),
# `silent.wav` (4 s of digital silence);
# {records} the tiny records; {damaged} a copy with a flipped byte in a
# train shard; {model} the smoke run's model dir; {tape} one tiny tape;
# {tmp}/cut a model dir whose export was cut short (no eras.json);
# {noval} records with an empty validation split (as --split_fractions=
# 0.9,0,0.1 builds them); {oneera} records of the tiny tapes of one era;
# {tmp}/itunes a folder of two M4A files, a format not decoded here.
CASES = [
    ('beam_pipelines.build_records', ['--input={tmp}/none/*.mp3'],
     'no MP3/FLAC/OGG/Opus/WAV/AIFF files in --input='),
    ('beam_pipelines.build_records', ['--input={tmp}/itunes'],
     'no MP3/FLAC/OGG/Opus/WAV/AIFF files in --input={tmp}/itunes, only 2 '
     'of other audio formats: M4A is not decoded here (MP3/FLAC/OGG/Opus/'
     "WAV/AIFF are): convert it first, e.g. ffmpeg -i '01 Side A.m4a' "
     "'01 Side A.flac'"),
    ('jazzcnn.predict', ['--model_dir={model}', '{tmp}/itunes'],
     "{tmp}/itunes/01 Side A.m4a: ERROR M4A is not decoded here "
     "(MP3/FLAC/OGG/Opus/WAV/AIFF are): convert it first, e.g. ffmpeg -i "
     "'01 Side A.m4a' '01 Side A.flac'"),
    ('beam_pipelines.build_records',
     ['--input={tapes}', '--tracklist={tapes}/tracklist.csv',
      '--output_dir={tmp}/afile'],
     'cannot write to --output_dir={tmp}/afile'),
    ('beam_pipelines.build_records',
     ['--input={tapes}', '--tracklist={tmp}/latin1.csv',
      '--output_dir={tmp}/out'], '{tmp}/latin1.csv: not UTF-8 text'),
    ('beam_pipelines.build_records',
     ['--input={tapes}', '--tracklist={tmp}/none.csv',
      '--output_dir={tmp}/out'],
     'no track list file at {tmp}/none.csv (a "title,year" CSV)'),
    ('beam_pipelines.build_records',
     ['--input={tapes}', '--tracklist={tapes}/tracklist.csv', '--folds=2',
      '--output_dir={tmp}/out'], 'need --folds >= 3'),
    ('beam_pipelines.build_records',
     ['--input={tapes}', '--tracklist={tapes}/tracklist.csv',
      '--trim_seconds=100', '--output_dir={tmp}/out'],
     'no windows: every tape was skipped (too_short: 12) and nothing was '
     'written; too short: no whole window between the trims at each end '
     "(--trim_seconds; 0 for tapes without Niven's spoken commentary)"),
    ('beam_pipelines.build_records',  # The Niven list names none of them.
     ['--input={tapes}', '--output_dir={tmp}/out'],
     ') and nothing was written; a file is unlisted when its name without '
     'the extension is no title of the track list (--tracklist)'),
    ('beam_pipelines.build_records',
     ['--input={tapes}', '--split_fractions=0.5,0.5', '--output_dir={tmp}/out'],
     'split fractions must be 3 values >= 0 summing to 1, got (0.5, 0.5)'),
    ('beam_pipelines.build_records', ['--input={tapes}', '--fold=2',
                                      '--output_dir={tmp}/out'],
     '--fold=2 needs --folds (K >= 3 folds, --fold the test one)'),
    ('beam_pipelines.tracklist', ['--fold=2'],
     '--fold=2 needs --folds (K >= 3 folds, --fold the test one)'),
    ('beam_pipelines.build_records',
     ['--input={tapes}', '--trim_seconds=-3', '--output_dir={tmp}/out'],
     'trim -3.0 s is out of range'),
    ('beam_pipelines.make_demo_tapes', ['--output={tmp}/demo',
                                        '--tape_seconds=-1'],
     'a tape of -1.0 s has no music between 5.0 s of commentary'),
    ('beam_pipelines.make_demo_tapes', ['--output={tmp}/afile'],
     '--output={tmp}/afile cannot be written'),
    ('beam_pipelines.make_check_corpus', ['--output={tmp}/check',
                                          '--cache_dir={tmp}/afile'],
     '--cache_dir={tmp}/afile cannot be written'),
    ('beam_pipelines.make_check_corpus', ['--output={tmp}/check',
                                          '--max_seconds=-1'],
     'flag --max_seconds=-1: -1.0 is not a non-negative number'),
    ('beam_pipelines.make_check_corpus', ['--output={tmp}/check',
                                          '--source=a:p:x/*.ogg',
                                          '--source=b:p'],
     "--source='b:p' is not NAME:PACKAGE:PATTERN"),
    ('beam_pipelines.make_check_corpus', ['--output={tmp}/check',
                                          '--source=a:p:x/*.ogg',
                                          '--source=A:q:y/*.ogg'],
     '--source: need two or more classes, each named once; got a, a'),
    ('beam_pipelines.make_check_corpus', ['--output={tmp}/check',
                                          '--exclude=*/fx/*'],
     '--exclude goes with --source'),
    ('beam_pipelines.make_check_corpus', ['--output={tmp}/check',
                                          '--nogroup_variants'],
     '--group_variants goes with --source'),
    ('beam_pipelines.make_check_corpus', ['--output={tmp}/check',
                                          '--independent_check'],
     '--independent_check goes with --source'),
    ('beam_pipelines.make_check_corpus', ['--output={tmp}/check',
                                          '--source=a:p:x/*.ogg',
                                          '--source=b:drascula-music:y/*'],
     '--source: drascula-music is kept for the independent check of this '
     'project; add --independent_check if you are running it'),
    ('beam_pipelines.tracklist', ['--tracklist={tmp}/latin1.csv'],
     '{tmp}/latin1.csv: not UTF-8 text'),
    ('beam_pipelines.scrape', ['--output={tmp}/afile'],
     '--output={tmp}/afile cannot be written'),
    ('beam_pipelines.scrape',
     ['--output={tmp}/out', '--base_url=http://127.0.0.1:9', '--retries=1'],
     "cannot list 'davidwnivenjazz' at http://127.0.0.1:9"),
    ('jazzcnn.train', ['--data_dir={tmp}/empty', '--model_dir={tmp}/run'],
     '{tmp}/empty/dataset_info.json not found'),
    ('jazzcnn.train', ['--flagfile={tmp}/nosuch.cfg', '--data_dir={records}',
                       '--model_dir={tmp}/run'],
     "jazzcnn.train: Unable to open flagfile: [Errno 2] No such file or "
     "directory: '{tmp}/nosuch.cfg' (--help for the flags)"),
    ('jazzcnn.train', ['--data_dir={records}', '--model_dir={tmp}/run',
                       '--strategy=tpu'],
     'strategy tpu found no TPU on this machine (TPUs not found in the '
     'cluster); on a machine without one use mirrored'),
    ('jazzcnn.train', ['--data_dir={records}', '--model_dir={tmp}/afile'],
     '--model_dir={tmp}/afile cannot be written'),
    ('jazzcnn.train', ['--data_dir={records}', '--model_dir={tmp}/seed[0]'],
     "{tmp}/seed[0]: TensorFlow's checkpoints read a folder name with * ? [ "
     "as a glob (pruning them would delete another run's); choose a name "
     'without those characters'),
    ('jazzcnn.train', ['--data_dir={damaged}', '--model_dir={tmp}/run',
                       '--flagfile=flags/cpu_smoke.cfg', '--epochs=1'],
     '{shard}: unreadable (corrupted record at '),
    ('jazzcnn.evaluate', ['--model_dir={tmp}/empty', '--data_dir={records}'],
     '{tmp}/empty/export/model.keras not found'),
    ('jazzcnn.evaluate', ['--model_dir={tmp}/cut', '--data_dir={records}'],
     '{tmp}/cut/export is an incomplete export (no eras.json'),
    ('jazzcnn.evaluate', ['--model_dir={model}', '--data_dir={damaged}',
                          '--split=train', '--output_dir={tmp}/eval'],
     '{shard}: unreadable (corrupted record at '),
    ('jazzcnn.evaluate', ['--model_dir={model}', '--data_dir={records}',
                          '--output_dir={tmp}/afile'],
     '--output_dir={tmp}/afile cannot be written'),
    ('jazzcnn.predict', ['--model_dir={model}', '{tmp}/empty'],
     '{tmp}/empty: ERROR holds no MP3/FLAC/OGG/Opus/WAV/AIFF files'),
    ('jazzcnn.predict', ['--model_dir={model}', '{tmp}/none/*.mp3'],
     '{tmp}/none/*.mp3: ERROR matched no files'),
    ('jazzcnn.evaluate', ['--model_dir={model}', '--data_dir={records}',
                          '--batch_size=0', '--output_dir={tmp}/eval'],
     'jazzcnn.evaluate: flag --batch_size=0: 0 is not a positive integer '
     '(--help'),
    ('jazzcnn.predict', ['--model_dir={model}', '--hop_seconds=-1', '{tape}'],
     'flag --hop_seconds=-1: -1.0 is not a non-negative number'),
    ('jazzcnn.predict', ['--model_dir={model}', '{tmp}/silent.wav'],
     '{tmp}/silent.wav: ERROR silent: every window (2) is digital silence'),
    ('jazzcnn.plot', ['--model_dir={model}', '--audio={tmp}/silent.wav',
                      '--output_dir={tmp}/plots'],
     '--audio={tmp}/silent.wav: silent: every window (2) is digital silence'),
    ('jazzcnn.embed', ['--model_dir={model}', '--output={tmp}/afile',
                       '{tape}'], '--output={tmp}/afile cannot be written'),
    ('jazzcnn.embed', ['--model_dir={model}', '--output={tmp}/emb',
                       '--tracklist={tmp}/latin1.csv', '{tape}'],
     '{tmp}/latin1.csv: not UTF-8 text'),
    ('jazzcnn.plot', ['--model_dir={model}', '--audio={tmp}/afile',
                      '--output_dir={tmp}/plots'],
     '--audio={tmp}/afile: unreadable'),
    ('jazzcnn.plot', ['--model_dir={model}', '--audio={tmp}/missing.wav',
                      '--output_dir={tmp}/plots'],
     '--audio={tmp}/missing.wav: no such file'),
    ('jazzcnn.verify_records', ['--data_dir={tmp}/empty'],
     '{tmp}/empty/dataset_info.json not found'),
    ('jazzcnn.verify_records', ['--data_dir={damaged}'],
     'train: {shard}: unreadable (corrupted record at '),
    ('jazzcnn.duplicates', ['--data_dir={tmp}/empty'],
     '{tmp}/empty/dataset_info.json not found'),
    ('jazzcnn.duplicates', ['--data_dir={damaged}'],
     'jazzcnn.duplicates: {shard}: unreadable (corrupted record at '),
    ('jazzcnn.evaluate', ['--model_dir={model}', '--data_dir={tmp}/empty',
                          '--output_dir={tmp}/eval'],
     '{tmp}/empty/dataset_info.json not found'),
    ('jazzcnn.aggregate', ['{model}'],
     '{model} is a directory, not a metrics.json (evaluate writes '
     'MODEL_DIR/evaluation/test/metrics.json)'),
    ('jazzcnn.aggregate', ['{model}/results.json'],
     '{model}/results.json is not a metrics.json: it has no windows, tapes, '
     'window_balanced_accuracy and 5 more'),
    ('jazzcnn.compare', ['--data_dir={records}', '--output={tmp}/cmp',
                         '{tmp}/nosuch.cfg --epochs=1'],
     "recipe '{tmp}/nosuch.cfg --epochs=1': flagfile '{tmp}/nosuch.cfg' not "
     'found (a recipe is a flagfile, then flags)'),
    ('jazzcnn.compare', ['--data_dir={records}', '--output={tmp}/cmp[1]',
                         'flags/cpu_smoke.cfg'],
     "{tmp}/cmp[1]: TensorFlow's checkpoints read a folder name with * ? [ "
     "as a glob (pruning them would delete another run's); choose a name "
     'without those characters'),
    ('jazzcnn.compare', ['--data_dir={tmp}/empty', '--output={tmp}/cmp',
                         'flags/cpu_smoke.cfg'],
     '{tmp}/empty/dataset_info.json not found'),
    ('jazzcnn.compare', ['--data_dir={noval}', '--output={tmp}/cmp',
                         'flags/cpu_smoke.cfg'],
     "split 'validation' of {noval} is empty"),
    ('jazzcnn.benchmark', ['nosuch'], "unknown suite 'nosuch'"),
    ('jazzcnn.benchmark', ['input', '--data_dir={tmp}/empty'],
     '{tmp}/empty/dataset_info.json not found'),
    ('jazzcnn.benchmark', ['train', '--work_dir={tmp}/afile'],
     '--work_dir={tmp}/afile cannot be written'),
    ('jazzcnn.benchmark', ['train', '--train_steps=0'],
     'jazzcnn.benchmark: flag --train_steps=0: 0 is not a positive integer'),
    ('jazzcnn.benchmark', ['build', '--memory_minutes=10'],
     'jazzcnn.benchmark: flag --memory_minutes=10: must be two positive '
     'numbers of minutes, e.g. 10,120'),
    ('jazzcnn.probe', ['{records}', '--heads=forest'],
     'unknown features or heads: forest'),
    ('jazzcnn.probe', ['{tmp}/empty'],
     '{tmp}/empty/dataset_info.json not found'),
    ('jazzcnn.probe', ['{records}', '--train_fractions=0.5,1.5'],
     '--train_fractions must be numbers in (0, 1], got 0.5,1.5'),
    ('jazzcnn.probe', ['{records}', '--output={tmp}/afile/probe.json'],
     '--output={tmp}/afile cannot be written'),
    ('jazzcnn.probe', ['{records}', '--output={tmp}/empty'],
     '--output={tmp}/empty is a directory; name a file in it'),
    ('jazzcnn.aggregate', ['{tmp}/afile', '--output={tmp}/empty'],
     '--output={tmp}/empty is a directory; name a file in it'),
    ('jazzcnn.probe', ['{noval}'],
     "split 'validation' of {noval} is empty"),
    ('jazzcnn.evaluate', ['--model_dir={model}', '--data_dir={noval}',
                          '--baselines=mel_stats', '--output_dir={tmp}/eval'],
     "split 'validation' of {noval} is empty; rebuild with more tapes or "
     'other --split_fractions: the baselines fit on the train split and '
     'choose C on the validation split (--baselines= for none)'),
    ('jazzcnn.train', ['--data_dir={oneera}', '--model_dir={tmp}/run',
                       '--flagfile=flags/cpu_smoke.cfg'],
     'jazzcnn.train: the train split of {oneera} holds windows of one era '
     'only (cool): a classifier learns from two or more (tapes of other '
     'eras; for a small corpus, build with --folds=5 --fold=I)'),
    ('jazzcnn.evaluate', ['--model_dir={model}', '--data_dir={oneera}',
                          '--output_dir={tmp}/eval'],
     'the train split of {oneera} holds windows of one era only (cool)'),
    ('jazzcnn.probe', ['{oneera}'],
     'the train split of {oneera} holds windows of one era only (cool)'),
]


@pytest.fixture(scope='module')
def one_era(tiny_tapes, tmp_path_factory):
  """Records built from the tiny tapes of one era (each split holds one)."""
  out = str(tmp_path_factory.mktemp('oneera') / 'records')
  conftest.build_tiny_records(tiny_tapes, out, keep=lambda p: '_Cool_' in p)
  return out


@pytest.fixture(scope='module')
def damaged(tiny_records, tmp_path_factory):
  """(copy of the tiny records with one train shard's byte flipped, shard)."""
  data_dir, info = tiny_records
  copy = str(tmp_path_factory.mktemp('damaged') / 'records')
  shutil.copytree(data_dir, copy)
  shard = info['splits']['train']['files'][0]
  data = bytearray(open(os.path.join(copy, shard), 'rb').read())
  data[len(data) // 2] ^= 0xFF
  open(os.path.join(copy, shard), 'wb').write(bytes(data))
  return copy, shard


@pytest.fixture(scope='module')
def no_validation(tiny_records, tmp_path_factory):
  """A copy of the tiny records whose validation split is empty."""
  data_dir, info = tiny_records
  copy = str(tmp_path_factory.mktemp('noval') / 'records')
  shutil.copytree(data_dir, copy)
  info = json.loads(json.dumps(info))
  split = info['splits']['validation']
  for name in split['files']:
    os.remove(os.path.join(copy, name))
  split.update(windows=0, tapes=0, hours=0.0, files=[], tape_ids=[],
               groups=[], windows_per_era={e: 0 for e in info['eras']},
               tapes_per_era={e: 0 for e in info['eras']})
  with open(os.path.join(copy, 'dataset_info.json'), 'w') as f:
    json.dump(info, f)
  return copy


def _files(root):
  """Every file and directory under root (a directory ends in /)."""
  return sorted([os.path.relpath(os.path.join(d, f), root)
                 for d, _, files in os.walk(root) for f in files] +
                [os.path.relpath(os.path.join(d, s), root) + '/'
                 for d, subdirs, _ in os.walk(root) for s in subdirs])


@pytest.mark.parametrize('command,args,says', CASES,
                         ids=[f'{c[0].split(".")[1]}-{i}'
                              for i, c in enumerate(CASES)])
def test_bad_input_is_one_line(command, args, says, tmp_path, tiny_records,
                               tiny_tapes, smoke_run, damaged, no_validation,
                               one_era):
  (tmp_path / 'afile').write_text('not a directory, not audio\n')
  (tmp_path / 'latin1.csv').write_bytes(b'title,year\nCaf\xe9_Tape_1925,1925\n')
  (tmp_path / 'empty').mkdir()
  (tmp_path / 'itunes').mkdir()
  for name in ('01 Side A.m4a', '02 Side B.m4a'):
    (tmp_path / 'itunes' / name).write_bytes(b'\0\0\0\x20ftypM4A ')
  soundfile.write(tmp_path / 'silent.wav', np.zeros(4 * 16000, np.int16),
                  16000, subtype='PCM_16')
  (tmp_path / 'cut' / 'export').mkdir(parents=True)  # An export cut short.
  (tmp_path / 'cut' / 'export' / 'model.keras').write_bytes(b'PK\x03\x04')
  tape = sorted(p for p in os.listdir(tiny_tapes) if p.endswith('.wav'))[0]
  values = dict(tmp=tmp_path, records=tiny_records[0], damaged=damaged[0],
                shard=damaged[1], model=smoke_run[2], tapes=tiny_tapes,
                noval=no_validation, oneera=one_era,
                tape=os.path.join(tiny_tapes, tape))
  before = _files(tmp_path)
  result = conftest.run(
      [sys.executable, '-m', command, *(a.format(**values) for a in args)],
      timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
  # absl's INFO lines (off by default; a flagfile may turn them on) are
  # progress, not the report.
  lines = [l for l in result.stderr.splitlines()
           if l.strip() and not re.match(r'I\d{4} ', l)]
  assert result.returncode == 1, result.stderr[-3000:]
  assert 'Traceback' not in result.stderr, result.stderr[-3000:]
  if command == 'jazzcnn.verify_records' and lines[-1].endswith('problems'):
    # Its report: a line per problem on stdout, the count on stderr.
    assert says.format(**values) in result.stdout, result.stdout
  elif command == 'jazzcnn.predict' and ': ERROR ' in says:
    # A line per file that failed, then their count.
    failed = re.fullmatch(r'(\d+) of \1 files failed \(ERROR above\)',
                          lines[-1])
    assert failed and len(lines) == int(failed[1]) + 1, lines
    assert says.format(**values) in lines[0], lines
  else:
    assert lines and says.format(**values) in lines[-1], lines
  if command not in ('jazzcnn.predict', 'jazzcnn.verify_records'):
    assert len(lines) == 1, lines
  # Nothing new under a final name, not even an empty directory. A training
  # run that started records what it trains (model.json, for resuming),
  # never results or an export.
  started = (['run/', 'run/model.json'] if command == 'jazzcnn.train'
             else [])
  assert [f for f in _files(tmp_path) if f not in started] == before


def test_verbosity_1_adds_the_traceback(tmp_path):
  result = conftest.run([sys.executable, '-m', 'jazzcnn.verify_records',
                         f'--data_dir={tmp_path}', '--verbosity=1'])
  assert result.returncode == 1
  assert 'Traceback' in result.stderr
  assert result.stderr.strip().splitlines()[-1].startswith(
      f'jazzcnn.verify_records: {tmp_path}/dataset_info.json not found')
