"""Which recipe `compare` keeps: the best on validation, never the test split."""

from jazzcnn import compare


def test_select_takes_the_best_validation_score():
  assert compare.select([0.61, 0.83, 0.72]) == 1


def test_select_keeps_the_first_of_a_tie():
  assert compare.select([0.7, 0.9, 0.9]) == 1


def test_select_skips_failed_recipes():
  assert compare.select([None, 0.4, None]) == 1
  assert compare.select([None, None]) is None
