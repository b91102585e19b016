"""Output files are written whole or not at all."""

import json
import math
import os

import pytest
import tensorflow as tf

from jazzcnn import outputs


def test_writes_text_bytes_and_json(tmp_path):
  outputs.write(str(tmp_path / 'a.txt'), 'words')
  outputs.write(str(tmp_path / 'b.bin'), b'\x00\xff')
  outputs.write_json(str(tmp_path / 'c.json'), {'x': [1, 2.5]})
  assert (tmp_path / 'a.txt').read_text() == 'words'
  assert (tmp_path / 'b.bin').read_bytes() == b'\x00\xff'
  assert json.loads((tmp_path / 'c.json').read_text()) == {'x': [1, 2.5]}
  assert sorted(p.name for p in tmp_path.iterdir()) == [
      'a.txt', 'b.bin', 'c.json']


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path, monkeypatch):
  path = tmp_path / 'results.json'
  outputs.write_json(str(path), {'old': 1})

  def broken_rename(*args, **kwargs):
    raise OSError('disk full')

  monkeypatch.setattr(tf.io.gfile, 'rename', broken_rename)
  with pytest.raises(OSError, match='disk full'):
    outputs.write_json(str(path), {'new': 2})
  assert json.loads(path.read_text()) == {'old': 1}
  assert [p.name for p in tmp_path.iterdir()] == ['results.json']


def test_json_with_a_nan_raises_and_writes_nothing(tmp_path):
  path = tmp_path / 'metrics.json'
  with pytest.raises(ValueError):
    outputs.write_json(str(path), {'loss': math.nan})
  assert not list(tmp_path.iterdir())


def test_a_directory_is_replaced_whole_or_kept(tmp_path, monkeypatch):
  path = str(tmp_path / 'saved_model')

  def fill(text):
    def write(tmp):
      tf.io.gfile.makedirs(tmp)
      outputs.write(f'{tmp}/a.txt', text)
    return write

  outputs.write_directory(path, fill('old'))
  outputs.write_directory(path, fill('new'))  # Over the earlier one.
  assert (tmp_path / 'saved_model' / 'a.txt').read_text() == 'new'

  def half_then_full(tmp):
    fill('half')(tmp)
    raise OSError('disk full')

  with pytest.raises(OSError, match='disk full'):
    outputs.write_directory(path, half_then_full)
  assert (tmp_path / 'saved_model' / 'a.txt').read_text() == 'new'
  assert [p.name for p in tmp_path.iterdir()] == ['saved_model']


def test_the_directories_a_command_created_and_left_empty_are_removed(
    tmp_path):
  assert outputs.missing_top(str(tmp_path)) is None
  assert outputs.missing_top('gs://bucket/a/b') is None
  assert outputs.missing_top(str(tmp_path / 'a' / 'b')) == str(tmp_path / 'a')
  (tmp_path / 'a' / 'b' / 'c').mkdir(parents=True)
  (tmp_path / 'a' / 'd').mkdir()
  (tmp_path / 'a' / 'd' / 'kept.json').write_text('{}')
  outputs.remove_empty_dirs(str(tmp_path / 'a'))
  assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob('*')) \
      == ['a', 'a/d', 'a/d/kept.json']
  (tmp_path / 'a' / 'd' / 'kept.json').unlink()
  outputs.remove_empty_dirs(str(tmp_path / 'a'))
  assert not os.path.exists(tmp_path / 'a')
  outputs.remove_empty_dirs(str(tmp_path / 'gone'))  # Nothing to remove.
  outputs.remove_empty_dirs(None)
