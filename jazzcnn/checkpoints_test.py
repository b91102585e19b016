"""How epochs and runs rank on validation (the trainer and `compare` share
it), and which folders can hold checkpoints."""

import pytest

from jazzcnn import checkpoints


def test_a_folder_named_like_a_glob_cannot_hold_checkpoints():
  for name in ('runs/seed[0]', 'runs/seed?', 'gs://b/runs/*'):
    with pytest.raises(ValueError, match=r'read a folder name with \* \? \['):
      checkpoints.check_directory(name)
  checkpoints.check_directory('gs://b/runs/seed 0 (take 2)')


def _best(balanced_accuracy, loss):
  return {'val_balanced_accuracy': balanced_accuracy, 'val_loss': loss}


def test_higher_balanced_accuracy_wins_whatever_the_loss():
  assert (checkpoints.validation_key(_best(0.8, 2.0))
          > checkpoints.validation_key(_best(0.7, 0.1)))


def test_a_tie_goes_to_the_lower_loss():
  assert (checkpoints.validation_key(_best(1.0, 0.03))
          > checkpoints.validation_key(_best(1.0, 0.3)))


def test_a_best_without_a_loss_loses_ties():
  assert (checkpoints.validation_key(_best(0.9, 5.0))
          > checkpoints.validation_key({'val_balanced_accuracy': 0.9}))
