"""get_strategy: names, replicas, errors."""

import pytest

from jazzcnn import distribute


def test_unknown_name_lists_the_choices():
  with pytest.raises(ValueError, match='mirrored, multi_worker_mirrored'):
    distribute.get_strategy('parallel')


def test_local_strategies():
  assert distribute.get_strategy('mirrored').num_replicas_in_sync == 2
  assert distribute.get_strategy('one_device').num_replicas_in_sync == 1
  assert distribute.get_strategy('default').num_replicas_in_sync == 1


def test_virtual_cpus_after_start_is_a_clear_error():
  distribute.get_strategy('default')  # TensorFlow has started by now.
  with pytest.raises(ValueError, match='before TensorFlow starts'):
    distribute.get_strategy('mirrored', virtual_cpus=3)
  with pytest.raises(ValueError, match='>= 0'):
    distribute.get_strategy('mirrored', virtual_cpus=-1)


def test_tf_config_that_is_not_json_is_named(monkeypatch):
  monkeypatch.setenv('TF_CONFIG', '{"cluster": ')
  with pytest.raises(ValueError, match='TF_CONFIG is not valid JSON'):
    distribute.get_strategy('multi_worker_mirrored')
