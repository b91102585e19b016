"""Tests for the records builder's code and its fingerprint."""

import os
import shutil
import subprocess
import sys

import conftest
from beam_pipelines import builder_code


def test_the_modules_are_those_a_build_imports():
  # What importing the builder loads from this repo, beyond what `import
  # jazzcnn` loads (the model's layers) and the packages' __init__ files.
  loaded = subprocess.run(
      [sys.executable, '-c', '''
import os, sys
import jazzcnn
before = set(sys.modules)
import beam_pipelines.build_records
for name in set(sys.modules) - before:
  path = os.path.relpath(getattr(sys.modules[name], '__file__', None) or '/',
                         sys.argv[1])
  if path.split(os.sep)[0] in sys.argv[2:] and not path.endswith('__init__.py'):
    print(path)
''', conftest.ROOT, *builder_code.PACKAGES], cwd=conftest.ROOT,
      capture_output=True, text=True, check=True).stdout.split()
  found = builder_code.modules()
  assert found == sorted(loaded)
  assert {'beam_pipelines/build_records.py', 'beam_pipelines/build_steps.py',
          'jazzcnn/audio.py', 'jazzcnn/features.py'} <= set(found)
  assert not {'jazzcnn/layers.py', 'jazzcnn/train.py',
              'jazzcnn/__init__.py'} & set(found)


def test_the_fingerprint_follows_the_code_not_its_comments(tmp_path):
  for package in builder_code.PACKAGES:
    shutil.copytree(os.path.join(conftest.ROOT, package), tmp_path / package,
                    ignore=shutil.ignore_patterns('__pycache__'))
  root = str(tmp_path)
  first = builder_code.fingerprint(root)
  assert first == builder_code.fingerprint()  # The same files as the repo's.

  def edit(path, text):
    with open(os.path.join(root, path), 'a', encoding='utf-8') as f:
      f.write(text)
    return builder_code.fingerprint(root)

  assert edit('jazzcnn/audio.py', '# A comment.\n') == first
  assert edit('jazzcnn/train.py', 'EPOCHS = 3\n') == first  # Not the builder.
  assert edit('jazzcnn/layers.py', 'X = 1\n') == first  # Nor `import jazzcnn`.
  changed = edit('jazzcnn/audio.py', 'SILENCE_PEAK = 2\n')
  assert changed != first
  assert edit('beam_pipelines/build_steps.py', 'X = 1\n') not in (first,
                                                                 changed)
