"""Tape naming, artists, split keys and group-stratified folds."""

import collections

import pytest

from jazzcnn import naming


def test_artist_is_the_name_before_tape():
  assert naming.artist('Duke_Ellington_Tape_12_1940-1941') == 'Duke_Ellington'
  assert naming.artist('Benny_Carter_Tape_13_1980-1987') == 'Benny_Carter'
  assert naming.artist('Some_Session_1938') == 'Some_Session_1938'
  assert naming.artist('_Tape_3') == '_Tape_3'


@pytest.mark.parametrize('split_by, same, different', [
    ('tape', [], [('A_Tape_1_1940', 'swing'), ('A_Tape_2_1941', 'swing')]),
    ('artist', [('A_Tape_1_1940', 'swing'), ('A_Tape_2_1952', 'cool')],
     [('A_Tape_1_1940', 'swing'), ('B_Tape_1_1940', 'swing')]),
    ('artist_era', [('A_Tape_1_1940', 'swing'), ('A_Tape_2_1941', 'swing')],
     [('A_Tape_1_1940', 'swing'), ('A_Tape_2_1952', 'cool')]),
])
def test_split_keys_group_what_they_should(split_by, same, different):
  key = lambda pair: naming.split_key(*pair, split_by)
  if same:
    assert key(same[0]) == key(same[1])
  assert key(different[0]) != key(different[1])
  with pytest.raises(ValueError, match='split_by'):
    naming.split_key('A_Tape_1', 'swing', 'band')


def test_assign_split_is_stable_and_follows_the_fractions():
  keys = [f'Band_{i}|swing' for i in range(3000)]
  splits = collections.Counter(naming.assign_split(k, (0.8, 0.1, 0.1))
                               for k in keys)
  assert abs(splits['train'] / 3000 - 0.8) < 0.03
  assert naming.assign_split(keys[7], (0.8, 0.1, 0.1)) == naming.assign_split(
      keys[7], (0.8, 0.1, 0.1))


def test_folds_are_stratified_and_every_group_is_tested_once():
  group_eras = {f'{era}_{i}': era for era, n in (('early', 10), ('bop', 7))
                for i in range(n)}
  tested = collections.Counter()
  for fold in range(5):
    splits = naming.fold_splits(group_eras, 5, fold)
    assert set(splits) == set(group_eras)
    for era, n in (('early', 10), ('bop', 7)):
      test = [g for g, s in splits.items() if s == 'test' and
              group_eras[g] == era]
      assert len(test) in (n // 5, -(-n // 5))  # Each fold ~1/K of an era.
      validation = [g for g, s in splits.items() if s == 'validation' and
                    group_eras[g] == era]
      assert validation and not set(validation) & set(test)
    tested.update(g for g, s in splits.items() if s == 'test')
  assert set(tested.values()) == {1}


def test_folds_reject_bad_arguments():
  with pytest.raises(ValueError, match='folds >= 3'):
    naming.fold_splits({'a': 'swing'}, 2, 0)
  with pytest.raises(ValueError, match='fold < folds'):
    naming.fold_splits({'a': 'swing'}, 5, 5)


def test_write_tracklist_is_whole_or_not_at_all(tmp_path):
  path = tmp_path / 'tracklist.csv'
  naming.write_tracklist(str(path), {'B_Tape_1_1940': '1940',
                                     'A_Tape_1_1925': '1925'})
  written = path.read_text()
  assert written.splitlines() == ['title,year', 'A_Tape_1_1925,1925',
                                  'B_Tape_1_1940,1940']
  # Titles that cannot be sorted fail mid-write: the earlier file stays,
  # and no temporary file is left beside it.
  with pytest.raises(TypeError):
    naming.write_tracklist(str(path), {'C_Tape_1_1950': '1950', 3: '1930'})
  assert path.read_text() == written
  assert [p.name for p in tmp_path.iterdir()] == ['tracklist.csv']


def test_one_file_per_tape_prefers_lossless_then_path():
  assert naming.one_file_per_tape([
      'b/x.mp3', 'a/x.MP3', 'y.ogg', 'c/x.wav', 'y.flac', 'z.mp3']) == {
          'x': 'c/x.wav', 'y': 'y.flac', 'z': 'z.mp3'}
  assert naming.one_file_per_tape(['b/x.mp3', 'a/x.MP3']) == {'x': 'a/x.MP3'}
  assert naming.one_file_per_tape(['w.opus', 'w.AIFF', 'v.opus', 'v.ogg']) == {
      'w': 'w.AIFF', 'v': 'v.ogg'}
  # A format not decoded here only where a tape has no other.
  assert naming.one_file_per_tape(['a/u.m4a', 'b/u.mp3', 't.wma']) == {
      'u': 'b/u.mp3', 't': 't.wma'}


def test_audio_of_formats_not_decoded_is_told_apart_and_explained():
  assert [naming.is_audio(p) for p in ('a.Opus', 'a.aif', 'a.m4a',
                                       'a.txt')] == [True, True, False, False]
  assert [naming.is_undecoded(p) for p in ('gs://b/a.M4A', 'a.wma', 'a.mp3',
                                           'a.txt')] == [True, True, False,
                                                         False]
  assert naming.undecoded_reason('tapes/Side A.m4a') == (
      'M4A is not decoded here (MP3/FLAC/OGG/Opus/WAV/AIFF are): convert it '
      "first, e.g. ffmpeg -i 'Side A.m4a' 'Side A.flac'")
  assert naming.undecoded_reason('gs://b/t.wma').endswith(
      'ffmpeg -i t.wma t.flac')


def test_labelled_groups_keep_the_titles_the_track_list_labels():
  eras = naming.parse_eras('early:1920-1930,swing:1931-1944')
  tracklist = {'Ace_Tape_1_1925': '', 'Ace_Tape_2_1940': '',
               'Ace_Tape_3_1929-1933': '', 'Bo_Tape_1': '1927',
               'Cy_Tape_1_1962': ''}
  titles = list(tracklist) + ['Unlisted_Tape_1925']
  assert naming.labelled_groups(titles, tracklist, eras, 'artist') == {
      'Ace_Tape_1_1925': ('early', 'Ace'), 'Ace_Tape_2_1940': ('swing', 'Ace'),
      'Bo_Tape_1': ('early', 'Bo')}
  assert naming.labelled_groups(titles, tracklist, eras, 'artist_era')[
      'Ace_Tape_2_1940'] == ('swing', naming.split_key('Ace_Tape_2_1940',
                                                       'swing', 'artist_era'))
