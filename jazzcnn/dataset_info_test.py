"""The questions asked of dataset_info.json."""

import pytest

from jazzcnn import dataset_info
from jazzcnn import errors


def _info(per_split):
  return {'eras': ['early', 'swing', 'bop'],
          'splits': {s: {'windows_per_era': counts}
                     for s, counts in per_split.items()}}


def test_missing_eras_names_the_eras_each_split_lacks():
  info = _info({'train': {'early': 5, 'swing': 3},
                'validation': {'early': 1, 'swing': 0, 'bop': 2},
                'test': {'early': 1, 'swing': 1, 'bop': 1}})
  assert dataset_info.missing_eras(info) == [
      'train lacks bop', 'validation lacks swing']
  assert dataset_info.missing_eras(info, ['test']) == []
  assert dataset_info.missing_eras(_info({'train': {'bop': 1}}),
                                   ['train', 'test']) == [
      'train lacks early, swing']
  assert dataset_info.missing_eras(info, ignore=['bop']) == [
      'validation lacks swing']


def test_absent_eras_are_those_no_split_holds():
  info = _info({'train': {'early': 5, 'swing': 0},
                'validation': {'swing': 1}, 'test': {'early': 1}})
  assert dataset_info.absent_eras(info) == ['bop']


def test_only_a_split_of_two_or_more_eras_is_learnable():
  dataset_info.check_learnable('d', _info({'train': {'early': 5, 'bop': 1}}))
  one = _info({'train': {'early': 0, 'swing': 7},
               'validation': {'early': 1, 'swing': 1}})
  with pytest.raises(errors.DataError, match=r'the train split of d holds '
                     r'windows of one era only \(swing\): a classifier'):
    dataset_info.check_learnable('d', one)
  dataset_info.check_learnable('d', one, 'validation')
