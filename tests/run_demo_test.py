"""run_demo.sh, the README's first command, end to end on tiny tapes.

Runs the script itself in a copy of the checkout that shares this test's
.venv, on `tiny_tapes` put in ./tapes as a user's own (some in a subfolder,
one with an upper-case extension, every name with a space and brackets),
with 1 s windows and a tiny model passed through TRAIN_FLAGS: every stage
runs for real (under a minute); then reruns it, as the README says a user
may, and once with other flags. The
branch a user without tapes takes runs once too, on a tiny demo corpus
already in ./demo_tapes (the script synthesizes the full one only where
there is none), with the builder's demo flagfile.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import conftest
from beam_pipelines import demo_tapes_lib
from jazzcnn import naming

# The files run_demo.sh and the programs it runs read.
_CHECKOUT = ('run_demo.sh', 'scripts', 'jazzcnn', 'beam_pipelines', 'flags',
             'requirements.txt', 'requirements_nodeps.txt', 'setup.py')
_TINY_TRAINING = ('--model=seed_bn --nofreeze --width=0.125 --depth=3 '
                  '--epochs=2 --batch_size=8 --warmup_steps=2')
_BUILD_ARGS = ('--trim_seconds=1', '--window_seconds=1', '--hop_seconds=1')


@pytest.fixture
def checkout(tmp_path):
  """A copy of the checkout, its .venv this one."""
  conftest.require_current_venv()
  root = tmp_path / 'checkout'
  root.mkdir()
  for name in _CHECKOUT:
    source = os.path.join(conftest.ROOT, name)
    if os.path.isdir(source):
      shutil.copytree(source, root / name,
                      ignore=shutil.ignore_patterns('__pycache__'))
    else:
      shutil.copy(source, root / name)
  (root / '.venv').symlink_to(sys.prefix)
  return root


@pytest.fixture
def own_tapes(checkout, tiny_tapes):
  """The checkout with the tiny tapes in ./tapes, as a user's own."""
  tapes = checkout / 'tapes'
  shutil.copytree(tiny_tapes, tapes)
  # Names with spaces and brackets, as a user's files have: the script
  # passes them on whole. (After '_Tape_', so each keeps its split group.)
  tracklist = naming.read_tracklist(str(tapes / 'tracklist.csv'))
  for path in tapes.iterdir():
    if path.stem in tracklist:
      path.rename(path.with_name(f'{path.stem} [take 2]{path.suffix}'))
  naming.write_tracklist(str(tapes / 'tracklist.csv'), {
      f'{title} [take 2]': year for title, year in tracklist.items()})
  # The builder reads folders of any depth and any case of extension.
  (tapes / 'early').mkdir()
  for path in tapes.glob('*_Early_*'):
    path.rename(tapes / 'early' / path.name)
  (mp3,) = [p for p in tapes.glob('*_Cool_*.mp3')][:1]
  mp3.rename(mp3.with_suffix('.MP3'))
  return checkout


def _run_demo(root, train_flags):
  env = dict(os.environ, TRAIN_FLAGS=train_flags)
  return subprocess.run(['bash', str(root / 'run_demo.sh'), *_BUILD_ARGS],
                        cwd=root, env=env, capture_output=True, text=True,
                        timeout=900, check=False)


def _check_every_stage(root, result):
  """The headers of a run that went through; each test tape predicted."""
  out = result.stdout
  assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
  assert 'Traceback' not in out + result.stderr, out + result.stderr
  assert not result.stderr, result.stderr
  headers = [line for line in out.splitlines() if line.startswith('== ')]
  assert [h[3:6] for h in headers[:7]] == [f'{i}/7' for i in range(1, 8)], (
      headers)
  assert '--model=seed_bn' in headers[2], headers  # TRAIN_FLAGS reached it.
  assert headers[-1].startswith('== Done in '), headers
  assert 'epoch   2/2' in out, out  # The last epoch's line, always shown.
  # Stage 5 predicted each test tape, wherever it lies among the tapes.
  info = json.loads((root / 'tfrecords' / 'dataset_info.json').read_text())
  for tape in info['splits']['test']['tape_ids']:
    assert f'/{tape}.' in out, (tape, out)
  assert 'Test window balanced accuracy' in out, out
  assert re.search(r'A linear model on log-mel band energies \(the mel_stats '
                   r'baseline\): [01]\.\d{3} on the same windows', out), out
  for path in ('results.json', 'evaluation/test/metrics.json',
               'evaluation/test/confusion.png', 'styles/projection.png',
               'plots/curves.png', 'plots/melspec.png'):
    assert (root / 'runs' / 'demo' / path).is_file(), path
  # Stage 6's agreement, also over the tapes the model never heard alone.
  knn = json.loads((root / 'runs' / 'demo' / 'styles' / 'knn.json')
                   .read_text())
  assert knn['1nn_held_out'] is not None and 'nn_held_out' in out, knn
  return headers


def test_runs_every_stage_on_a_users_tapes_and_reruns(own_tapes):
  checkout = own_tapes
  result = _run_demo(checkout, _TINY_TRAINING)
  headers = _check_every_stage(checkout, result)
  assert headers[0] == '== 1/7 Using the 12 audio files in ./tapes', headers
  assert '24 windows of 1 s from   4 tapes' in result.stdout, result.stdout
  assert 'on purpose' not in result.stdout, result.stdout
  assert 'Next: the recipes' in result.stdout, result.stdout[-500:]


  # Rerun: the records are rebuilt, the finished run is not trained again.
  again = _run_demo(checkout, _TINY_TRAINING)
  assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
  assert ('   nothing left to train: runs/demo holds a finished run '
          '(rm -r runs/demo trains afresh)') in again.stdout, again.stdout
  assert 'epoch   ' not in again.stdout, again.stdout

  # A failed stage stops the script, with the trainer's line and a way on.
  wider = _run_demo(checkout, _TINY_TRAINING.replace('--width=0.125',
                                                     '--width=0.25'))
  assert wider.returncode == 1, wider.stdout[-3000:]
  assert '== 3/7' in wider.stdout and '== 4/7' not in wider.stdout
  assert ('jazzcnn.train: runs/demo holds a checkpoint of another model '
          '(width 0.125, now 0.25)') in wider.stdout, wider.stdout[-3000:]
  assert wider.stdout.endswith(
      '   (the whole log: runs/demo.train.log; rm -r runs/demo trains '
      'afresh)\n'), wider.stdout[-3000:]
  assert 'Traceback' not in wider.stdout, wider.stdout[-3000:]


def test_runs_every_stage_on_the_demo_corpus_without_tapes(checkout):
  # A tiny demo corpus, its bad input included, where the script would
  # synthesize the full one.
  demo_tapes_lib.make_demo_tapes(str(checkout / 'demo_tapes'),
                                 tapes_per_era=3, tape_seconds=8,
                                 commentary_seconds=1)
  (checkout / 'tapes').mkdir()  # An empty folder holds no tapes.
  result = _run_demo(checkout, _TINY_TRAINING)
  headers = _check_every_stage(checkout, result)
  assert headers[0] == (
      '== 1/7 No tapes in ./tapes: using the demo corpus an earlier run '
      'synthesized in ./demo_tapes (rm -r demo_tapes makes it afresh)'), headers
  assert 'eras from demo_tapes/tracklist.csv' in headers[1], headers
  assert ('skipped on purpose (the demo includes bad input): 1 ambiguous, '
          '1 outside, 1 unlisted, 1 unreadable') in result.stdout, (
              result.stdout)
  assert 'The demo is synthetic and made to be easy.' in result.stdout, (
      result.stdout[-800:])
  assert 'Next: put your tapes in ./tapes' in result.stdout, (
      result.stdout[-500:])


def test_counts_the_files_the_builder_lists():
  """Stage 1's `find` names every extension the builder lists: those it
  decodes, and those it names as skipped with how to convert them."""
  script = pathlib.Path(conftest.ROOT, 'run_demo.sh').read_text()
  count = script.split('own_tapes=$(find', 1)[1].split('| wc -l', 1)[0]
  found = re.findall(r"-iname '\*(\.\w+)'", count)
  assert found == list(naming.AUDIO_EXTENSIONS + naming.UNDECODED_EXTENSIONS)
