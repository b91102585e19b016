"""What an export keeps of its records, and the questions asked with it."""

from jazzcnn import audio
from jazzcnn import dataset_info
from jazzcnn import provenance


_WEIGHTS = {'eras': ['early', 'swing', 'bop'],
            'era_years': {'early': [1920, 1930]}, 'sample_rate': 16000,
            'window_samples': 4, 'hop_samples': 4, 'trim_seconds': 0.0}


def test_an_export_of_older_records_keeps_the_default_silence_peak():
  older = {'eras': ['early'], 'era_years': {'early': [1920, 1930]},
           'sample_rate': 16000, 'window_samples': 4, 'hop_samples': 4,
           'trim_seconds': 0.0, 'splits': {}}
  assert provenance.model_keys(older) == {
      **{k: v for k, v in older.items() if k != 'splits'},
      'silence_peak': audio.SILENCE_PEAK,
      'split_tapes': dataset_info.split_tapes(older),
      'fitted_on': {'tape_ids': [], 'groups': [], 'split_by': None}}
  assert provenance.model_keys({**older, 'silence_peak': -1})[
      'silence_peak'] == -1


def test_a_model_scores_only_records_of_its_eras_rate_and_window():
  info = {'eras': ['early', 'swing'], 'sample_rate': 16000,
          'window_samples': 240000, 'hop_samples': 240000}
  meta = dict(info, hop_samples=120000, trim_seconds=5.0)
  assert provenance.model_mismatch(meta, info) is None  # Hop: any.
  assert provenance.model_mismatch(dict(meta, eras=['early']), info) == (
      "the model knows eras ['early'], the records hold ['early', 'swing']")
  assert provenance.model_mismatch(
      dict(meta, window_samples=160000), info) == (
          'the model hears 10 s windows at 16000 Hz, the records hold 15 s '
          'windows at 16000 Hz: rebuild them with its --window_seconds and '
          '--sample_rate')
  assert 'at 22050 Hz, the records hold' in provenance.model_mismatch(
      dict(meta, sample_rate=22050, window_samples=330750), info)


def test_which_tapes_each_split_holds_names_the_records_a_model_knows():
  fold_0 = {'created': 'Monday', 'splits': {
      'train': {'tape_ids': ['a', 'b'], 'windows': 8, 'files': ['x']},
      'test': {'tape_ids': ['c'], 'windows': 4, 'files': ['y']}}}
  rebuilt = {'created': 'Tuesday', 'splits': {
      'train': {'tape_ids': ['a', 'b'], 'windows': 8, 'files': ['z']},
      'test': {'tape_ids': ['c'], 'windows': 4, 'files': ['w']}}}
  fold_1 = {'splits': {'train': {'tape_ids': ['a', 'c'], 'windows': 8},
                       'test': {'tape_ids': ['b'], 'windows': 4}}}
  rehopped = {'splits': {'train': {'tape_ids': ['a', 'b'], 'windows': 16},
                         'test': {'tape_ids': ['c'], 'windows': 8}}}
  ids = {dataset_info.split_tapes(i) for i in (fold_0, fold_1, rehopped)}
  assert len(ids) == 3
  assert dataset_info.split_tapes(rebuilt) == dataset_info.split_tapes(fold_0)
  meta = {'split_tapes': dataset_info.split_tapes(fold_0)}
  assert not provenance.trained_elsewhere(meta, rebuilt)
  assert provenance.trained_elsewhere(meta, fold_1)
  assert not provenance.trained_elsewhere({}, fold_1)  # An older export.


def test_an_export_knows_which_tapes_of_other_records_it_heard():
  def split(tapes, groups):
    return {'tape_ids': tapes, 'groups': groups, 'windows': 4 * len(tapes)}
  fold_0 = {'split_by': 'artist_era', 'splits': {
      'train': split(['a1', 'a2', 'b1'], ['a|early', 'b|swing']),
      'validation': split(['c1'], ['c|early']),
      'test': split(['d1', 'd2'], ['d|swing'])}}
  meta = provenance.model_keys({**fold_0, **_WEIGHTS})
  assert meta['fitted_on'] == {'tape_ids': ['a1', 'a2', 'b1', 'c1'],
                               'groups': ['a|early', 'b|swing', 'c|early'],
                               'split_by': 'artist_era'}
  # Its own test split: held out.
  assert provenance.heard_in_training(meta, fold_0, 'test') == {
      'tapes': [0, 2], 'groups': [0, 1]}
  # Another fold: one test tape it was chosen on (validation), and a tape
  # of players it was fitted on.
  fold_1 = {'split_by': 'artist_era', 'splits': {
      'test': split(['a3', 'c1', 'e1'], ['a|early', 'c|early', 'e|bop'])}}
  assert provenance.heard_in_training(meta, fold_1, 'test') == {
      'tapes': [1, 3], 'groups': [2, 3]}
  # Grouped another way: the groups are not comparable.
  by_tape = {'split_by': 'tape', 'splits': {
      'test': split(['a1', 'z1'], ['a1', 'z1'])}}
  assert provenance.heard_in_training(meta, by_tape, 'test') == {
      'tapes': [1, 2], 'groups': None}
  assert provenance.heard_in_training({}, fold_1, 'test') is None  # Older.
