"""What cluster workers get from `--setup_file=./setup.py` is enough to build.

Beam's stager builds an sdist of setup.py and workers pip-install it. Here
that same sdist is installed (without its dependencies, which .venv has) into
a bare directory, and the records builder runs from there, in a directory
away from the checkout, so only what the package ships can be imported.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

from apache_beam.runners.portability import stager

import conftest


def _installed_package(tmp_path):
  # A copy of the sources, as setup.py sdist writes its egg-info beside them.
  source = tmp_path / 'source'
  source.mkdir()
  shutil.copy(os.path.join(conftest.ROOT, 'setup.py'), source)
  for package in ('jazzcnn', 'beam_pipelines'):
    shutil.copytree(os.path.join(conftest.ROOT, package), source / package,
                    ignore=shutil.ignore_patterns('__pycache__'))
  dist = tmp_path / 'dist'
  dist.mkdir()
  sdist = stager.Stager._build_setup_package(  # pylint: disable=protected-access
      str(source / 'setup.py'), str(dist))
  target = tmp_path / 'site'
  subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet',
                  '--no-deps', '--no-build-isolation', '--no-index',
                  f'--target={target}', sdist], check=True)
  return sdist, str(target)


def test_workers_package_builds_records_on_its_own(tiny_tapes, tmp_path):
  sdist, site = _installed_package(tmp_path)
  with tarfile.open(sdist) as tar:
    names = tar.getnames()
  assert any(n.endswith('beam_pipelines/data/niven_songlist.csv')
             for n in names)
  assert not [n for n in names if '.venv' in n or n.endswith('.tfrecord')]
  assert os.path.getsize(sdist) < 2 << 20  # Code and the track list only.

  away = tmp_path / 'elsewhere'
  away.mkdir()
  env = dict(os.environ, PYTHONPATH=site)
  run = lambda *args: conftest.run(  # pylint: disable=unnecessary-lambda-assignment
      [sys.executable, '-m', *args], cwd=away, env=env)
  result = conftest.run(
      [sys.executable, '-c', 'import beam_pipelines, jazzcnn; '
       'print(beam_pipelines.__file__, jazzcnn.__file__)'], cwd=away, env=env)
  assert result.returncode == 0, result.stderr[-3000:]
  assert all(path.startswith(site) for path in result.stdout.split())
  # The shipped track list is package data.
  result = run('beam_pipelines.tracklist')
  assert result.returncode == 0, result.stderr[-3000:]
  assert json.loads(result.stdout)['early'] == 56, result.stdout
  result = run('beam_pipelines.build_records', '--runner=DirectRunner',
               '--direct_num_workers=1', f'--input={tiny_tapes}',
               f'--tracklist={tiny_tapes}/tracklist.csv',
               f'--output_dir={away}/records', '--trim_seconds=1',
               '--window_seconds=1', '--hop_seconds=1')
  assert result.returncode == 0, result.stderr[-3000:]
  info = json.load(open(away / 'records' / 'dataset_info.json'))
  assert sum(s['windows'] for s in info['splits'].values()) > 0


def test_install_requires_pins_what_requirements_pin():
  pins = conftest.requirement_pins()
  text = open(os.path.join(conftest.ROOT, 'setup.py')).read()
  for name, version in re.findall(r"'([\w-]+)==([\w.]+)'", text):
    assert pins.get(name) == version, (name, version, pins.get(name))
