"""duplicates_lib finds the recordings that tapes in two splits share."""

import itertools
import json
import os
import sys

import numpy as np
import pytest

from beam_pipelines import build_records_lib
from beam_pipelines import demo_tapes_lib
from beam_pipelines import tape_files
from conftest import run
from jazzcnn import audio
from jazzcnn import dataset_info
from jazzcnn import duplicates_lib
from jazzcnn import errors
from jazzcnn import naming

RATE = 16000
PIECES = 4  # Per era.
CUT = 1.37  # Seconds the second copy of a piece lacks at its start.


def _build(tapes, out, keep=lambda path: True):
  """dataset_info of records of the tapes `keep` passes: 15 s windows, two
  a tape; each tape its own group; 3 folds."""
  return build_records_lib.build_records(
      [p for p in tape_files.list_audio(str(tapes)) if keep(p)], out,
      tracklist=naming.read_tracklist(str(tapes / 'tracklist.csv')),
      eras=naming.parse_eras(naming.DEFAULT_ERAS),
      windowing=audio.Windowing(sample_rate=RATE, window=15 * RATE,
                                hop=15 * RATE, trim=0),
      split_by='tape', folds=3, fold=0, shard_mb=0.5,
      pipeline_options=['--direct_num_workers=1'])


@pytest.fixture(scope='module')
def tapes(tmp_path_factory):
  """2 eras x PIECES pieces, each piece on two tapes: as WAV, and as MP3
  at 0.6 of the gain without its first CUT seconds."""
  tapes = tmp_path_factory.mktemp('copies_tapes')
  rng = np.random.default_rng(0)
  rows = {}
  sounds = demo_tapes_lib.ERA_SOUNDS[1], demo_tapes_lib.ERA_SOUNDS[3]
  for sound, k in itertools.product(sounds, range(PIECES)):
    era, year = sound.name, str(sound.years[0])
    x = demo_tapes_lib.synthesize(sound, 31.5, RATE, commentary_seconds=0.5,
                                  rng=rng)
    demo_tapes_lib.write_audio(str(tapes / f'{era}{k}.wav'), x, RATE, 1)
    demo_tapes_lib.write_audio(str(tapes / f'{era}{k} copy.mp3'),
                               0.6 * x[int(CUT * RATE):], RATE, 1)
    rows[f'{era}{k}'] = rows[f'{era}{k} copy'] = year
  naming.write_tracklist(str(tapes / 'tracklist.csv'), rows)
  return tapes


@pytest.fixture(scope='module')
def copies(tapes, tmp_path_factory):
  """(data_dir, info, {tape: split}) of every tape."""
  out = str(tmp_path_factory.mktemp('copies_records'))
  info = _build(tapes, out)
  split_of = {tape: split for split, entry in info['splits'].items()
              for tape in entry['tape_ids']}
  return out, info, split_of


def test_finds_each_copy_in_another_split_and_nothing_else(copies):
  data_dir, info, split_of = copies
  expected = set()
  for era, k in itertools.product(('swing', 'cool'), range(PIECES)):
    pair = sorted([f'{era}{k}', f'{era}{k} copy'], key=lambda t: (
        dataset_info.SPLITS.index(split_of[t])))
    if split_of[pair[0]] != split_of[pair[1]]:
      expected.add((split_of[pair[1]], pair[1], split_of[pair[0]], pair[0]))
  # The corpus has both kinds of pair: copies apart, and copies together.
  assert 0 < len(expected) < 2 * PIECES

  found = duplicates_lib.find(data_dir, info)
  pairs = duplicates_lib.by_tape(found)
  assert {(p['split'], p['tape'], p['earlier_split'], p['earlier_tape'])
          for p in pairs} == expected
  for p in pairs:  # Both windows of the held-out tape.
    assert p['windows'] == 2
    assert p['hashes'] >= duplicates_lib.MIN_HASHES
  # Where in the earlier window the common audio lies: the copy lacks the
  # first CUT seconds, so its windows start CUT seconds later in the piece.
  for m in found:
    copy_first = m.window.tape.endswith('copy')
    start = m.window.seconds + (CUT if copy_first else -CUT)
    assert m.earlier.seconds + m.shift_seconds == pytest.approx(start,
                                                                abs=0.05)


def test_more_windows_than_a_table_holds_is_a_data_error():
  # 15 s windows take 10 of the table's 32 bits: 2**22 windows at most.
  info = {'sample_rate': RATE, 'window_samples': 15 * RATE, 'splits': {
      'train': {'windows': 1 << 22}, 'test': {'windows': 1}}}
  with pytest.raises(errors.DataError, match='4194304 train and validation '
                     'windows are more than one table holds'):
    duplicates_lib.find('unread/', info)


def test_command_exits_1_and_names_the_tapes(copies):
  data_dir, info, _ = copies
  result = run([sys.executable, '-m', 'jazzcnn.duplicates',
                f'--data_dir={data_dir}'])
  assert result.returncode == 1, result.stderr
  assert ' copy' in result.stdout
  assert 'held-out scores of these records are too high' in result.stderr
  test_tapes = len(info['splits']['test']['tape_ids'])
  assert f' of {test_tapes} tapes hold audio of train or validation tapes' in (
      result.stdout)


def test_command_passes_records_without_copies(tapes, tmp_path):
  data_dir = str(tmp_path / 'originals')
  info = _build(tapes, data_dir,
                keep=lambda path: 'copy' not in os.path.basename(path))
  result = run([sys.executable, '-m', 'jazzcnn.duplicates',
                f'--data_dir={data_dir}'])
  assert result.returncode == 0, result.stderr
  test_tapes = len(info['splits']['test']['tape_ids'])
  assert (f'test: 0 of {test_tapes} tapes hold audio of train or validation '
          'tapes') in result.stdout


def test_command_refuses_records_of_one_split(tmp_path):
  info = {'splits': {'train': {'windows': 4, 'tape_ids': ['a']},
                     'validation': {'windows': 0, 'tape_ids': []},
                     'test': {'windows': 0, 'tape_ids': []}}}
  (tmp_path / 'dataset_info.json').write_text(json.dumps(info))
  result = run([sys.executable, '-m', 'jazzcnn.duplicates',
                f'--data_dir={tmp_path}'])
  assert result.returncode == 1
  assert result.stderr.strip().splitlines()[-1] == (
      f'jazzcnn.duplicates: {tmp_path} holds windows of one split only: '
      'nothing held out to check (--help for the flags)')
