"""The questions asked of dataset_info.json."""

from jazzcnn import audio
from jazzcnn import dataset_info


def _info(per_split):
  return {'eras': ['early', 'swing', 'bop'],
          'splits': {s: {'windows_per_era': counts}
                     for s, counts in per_split.items()}}


def test_missing_eras_names_each_era_a_split_lacks():
  info = _info({'train': {'early': 5, 'swing': 3},
                'validation': {'early': 1, 'swing': 0, 'bop': 2},
                'test': {'early': 1, 'swing': 1, 'bop': 1}})
  assert dataset_info.missing_eras(info) == [
      'era bop has no train windows', 'era swing has no validation windows']
  assert dataset_info.missing_eras(info, ['test']) == []
  assert dataset_info.missing_eras(_info({'train': {'bop': 1}}),
                                   ['train', 'test']) == [
      'era early has no train windows', 'era swing has no train windows']


def test_an_export_of_older_records_keeps_the_default_silence_peak():
  older = {'eras': ['early'], 'era_years': {'early': [1920, 1930]},
           'sample_rate': 16000, 'window_samples': 4, 'hop_samples': 4,
           'trim_seconds': 0.0, 'splits': {}}
  assert dataset_info.model_keys(older) == {
      **{k: v for k, v in older.items() if k != 'splits'},
      'silence_peak': audio.SILENCE_PEAK}
  assert dataset_info.model_keys({**older, 'silence_peak': -1})[
      'silence_peak'] == -1
