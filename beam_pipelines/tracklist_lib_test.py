"""Tests for the track list parser and the label rule."""

import json
import subprocess
import sys

import pytest

from beam_pipelines import fileio
from beam_pipelines import tracklist_lib
from jazzcnn import naming

ERAS = naming.parse_eras(naming.DEFAULT_ERAS)


@pytest.mark.parametrize('title,year,status', [
    ('Duke_Ellington_Tape_94_1964-1965', '1965', 'outside'),
    ('Benny_Goodman_Tape_2_1929-1930', '1930', 'early'),
    ('"Benny_Goodman_Tape_8_June_6,_1935"', '1935', 'swing'),
    # The title's year wins over an impossible year column.
    ('Duke_Ellington_Tape_27_1943', '2343', 'swing'),
    ('Kid_Ory_Tape_3_1927-1945', '1945', 'ambiguous'),  # Crosses eras.
    ('Clark_Terry_Tape_2_1955-1956', '1956', 'ambiguous'),  # Leaves cool.
    ('Some_Tape_1919-1920', '', 'ambiguous'),  # Enters early.
    ('Dizzy_Tape_1_1945-1949', '', 'bop'),
    ('Cool_Tape_1950', '', 'cool'),
    ('Oscar_Peterson_Tape_7_1973-1979', '1979', 'outside'),
    ('Bix_Beiderbecke_Tape_6_Bix_And_The_Wolverines', '1924', 'early'),
    ('Joe_Venuti_&_Eddie_Lang_Tape_4_', '', 'unlabelled'),
    ('No_Year_Tape', '2343', 'unlabelled'),
    ('No_Year_Tape', '1899', 'unlabelled'),
    ('Tape_12345_no_year', 'abcd', 'unlabelled'),  # 12345 is no 19xx year.
    ('No_Year_Tape', '1935.0', 'swing'),  # As pandas writes a year.
    ('No_Year_Tape', ' 1935. ', 'swing'),
    ('No_Year_Tape', '1935.5', 'unlabelled'),
    ('No_Year_Tape', 'c. 1935', 'unlabelled'),
])
def test_label_rule(title, year, status):
  label = naming.label(title, year, ERAS)
  assert label.status == status
  names = [e.name for e in ERAS]
  assert label.era_index == (names.index(status) if status in names else None)


@pytest.mark.parametrize('title,year,why', [
    ('No_Year_Tape', '', 'no 19xx year in the title, and no year in the '
     'track list'),
    ('No_Year_Tape', 'c. 1935', "no 19xx year in the title, and the year "
     "column 'c. 1935' is no year 1900-2025"),
    ('Kid_Ory_Tape_3_1927-1945', '', 'years 1927-1945 cross the edge of an '
     'era (--eras)'),
    ('Oscar_Peterson_Tape_7_1973', '', 'years 1973 lie in no era (--eras)'),
])
def test_why_a_tape_is_not_labelled(title, year, why):
  label = naming.label(title, year, ERAS)
  assert label.status in naming.NOT_LABELLED
  assert naming.why_not_labelled(label, year) == why


def test_parse_eras():
  assert [e.name for e in ERAS] == ['early', 'swing', 'bop', 'cool']
  assert (ERAS[1].first, ERAS[1].last) == (1931, 1944)
  for bad in ['early:1920-1930', 'a:1930-1920,b:1931-1940',
              'a:1920-1930,b:1930-1940', 'a:1920-1930,a:1931-1940',
              'a:1920-30,b:1931-1940', 'ambiguous:1920-1930,b:1931-1940']:
    with pytest.raises(ValueError):
      naming.parse_eras(bad)


def test_read_tracklist_handles_quotes_blanks_and_conflicts(tmp_path):
  path = tmp_path / 't.csv'
  path.write_text('title,year\n"A_Tape_1,_1935",1935\nB_Tape_,\n\n'
                  'A_Tape_2_1940,1940\nA_Tape_2_1940,1940\n')
  assert naming.read_tracklist(str(path)) == {
      'A_Tape_1,_1935': '1935', 'B_Tape_': '', 'A_Tape_2_1940': '1940'}
  path.write_text('title,year\nA,1935\nA,1936\n')
  with pytest.raises(ValueError, match='twice'):
    naming.read_tracklist(str(path))
  # A spreadsheet's header, and titles written as file names.
  path.write_text(' Title , YEAR\nA_Tape_1.flac,1935\nB.m4a,1940\nC.txt,1941\n')
  assert naming.read_tracklist(str(path)) == {
      'A_Tape_1': '1935', 'B': '1940', 'C.txt': '1941'}
  path.write_text('title,year\nA.mp3,1935\nA.flac,1936\n')
  with pytest.raises(ValueError, match="'A' is listed twice"):
    naming.read_tracklist(str(path))
  path.write_text('name,when\nA,1935\n')
  with pytest.raises(ValueError, match='title'):
    naming.read_tracklist(str(path))
  for missing in (tmp_path / 'none.csv', tmp_path):
    with pytest.raises(ValueError, match='^no track list file at '):
      naming.read_tracklist(str(missing))
    with pytest.raises(ValueError, match='^no track list file at '):
      naming.read_tracklist(str(missing), read_text=fileio.read_text)


SHIPPED_COUNTS = {'early': 56, 'swing': 149, 'bop': 41, 'cool': 45,
                  'ambiguous': 110, 'outside': 212, 'unlabelled': 12}


def test_shipped_tracklist_counts():
  tracklist = naming.read_tracklist(tracklist_lib.DEFAULT_TRACKLIST)
  assert len(tracklist) == 625
  assert tracklist_lib.summarize(tracklist, ERAS) == SHIPPED_COUNTS


def test_tracklist_command_prints_json():
  out = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.tracklist'], check=True,
      capture_output=True, text=True).stdout
  assert json.loads(out) == SHIPPED_COUNTS
  bad = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.tracklist', '--eras=x:1-2'],
      capture_output=True, text=True)
  assert bad.returncode != 0 and 'bad era' in bad.stderr


def test_shipped_list_split_by_artist_era_tests_every_era():
  tracklist = naming.read_tracklist(tracklist_lib.DEFAULT_TRACKLIST)
  splits, warnings = tracklist_lib.split_summary(tracklist, ERAS,
                                                 split_by='artist_era')
  assert not warnings
  for split in ('train', 'validation', 'test'):
    assert all(v['tapes'] >= v['groups'] >= 1 for v in splits[split].values())
  total = sum(v['tapes'] for s in splits.values() for v in s.values())
  assert total == sum(SHIPPED_COUNTS[e.name] for e in ERAS)


def test_an_era_without_test_tapes_is_warned_about():
  tracklist = {'A_Tape_1_1925': '', 'A_Tape_2_1926': '', 'B_Tape_1_1940': ''}
  _, warnings = tracklist_lib.split_summary(tracklist, ERAS, split_by='artist')
  assert 'era bop has no test tapes' in warnings
  assert any(w.startswith('era early has no') for w in warnings)


def test_a_folder_of_tapes_is_counted_and_split_as_the_builder_reads_it(
    tmp_path):
  # The list names four tapes; the folder holds two of them (one in two
  # formats), and one the list lacks.
  (tmp_path / 'tracklist.csv').write_text(
      'title,year\nA_Tape_1_1925,\nB_Tape_1_1940,\nC_Tape_1_1946,\n'
      'D_Tape_1_1952,\n')
  for name in ('A_Tape_1_1925.flac', 'A_Tape_1_1925.mp3', 'sub/B_Tape_1_1940.wav',
               'E_Tape_1_1925.ogg', 'notes.txt'):
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_bytes(b'')
  tracklist = naming.read_tracklist(str(tmp_path / 'tracklist.csv'))
  titles = ['A_Tape_1_1925', 'B_Tape_1_1940', 'E_Tape_1_1925']
  assert tracklist_lib.summarize(tracklist, ERAS, titles) == {
      'early': 1, 'swing': 1, 'bop': 0, 'cool': 0, 'ambiguous': 0,
      'outside': 0, 'unlabelled': 0, 'unlisted': 1}
  splits, _ = tracklist_lib.split_summary(tracklist, ERAS, split_by='tape',
                                          titles=titles)
  assert sum(v['tapes'] for s in splits.values() for v in s.values()) == 2
  done = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.tracklist', f'--input={tmp_path}',
       f'--tracklist={tmp_path}/tracklist.csv', '--split_by=tape'],
      capture_output=True, text=True, check=True)
  out = json.loads(done.stdout)
  assert out['labels']['unlisted'] == 1 and out['labels']['early'] == 1
  assert sum(v['tapes'] for s in out['splits'].values()
             for v in s.values()) == 2
  assert ('warning: 1 of the 3 tapes are not in '
          f'{tmp_path}/tracklist.csv: E_Tape_1_1925 (a title is') in done.stderr
  # Folds asked for without --split_by: the builder's grouping, not nothing.
  done = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.tracklist', f'--input={tmp_path}',
       f'--tracklist={tmp_path}/tracklist.csv', '--folds=3', '--fold=1'],
      capture_output=True, text=True, check=True)
  out = json.loads(done.stdout)
  assert out['split_by'] == naming.DEFAULT_SPLIT_BY == 'artist_era'
  assert sum(v['tapes'] for s in out['splits'].values()
             for v in s.values()) == 2
  empty = tmp_path / 'empty'
  empty.mkdir()
  done = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.tracklist', f'--input={empty}'],
      capture_output=True, text=True)
  assert done.returncode == 1
  assert done.stderr.strip().endswith(
      f'no MP3/FLAC/OGG/Opus/WAV/AIFF files in --input={empty} '
      '(--help for the flags)')
