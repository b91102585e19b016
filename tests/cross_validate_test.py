"""scripts/cross_validate.sh end to end: K folds of tiny tapes, from
another folder, each tape tested in exactly one fold, then the aggregate;
and its usage errors as one line."""

import json
import os
import subprocess

from beam_pipelines import builder_code
import conftest
from jazzcnn import dataset_info

_SCRIPT = os.path.join(conftest.ROOT, 'scripts', 'cross_validate.sh')


def _run(args, cwd, **env):
  return subprocess.run(['bash', _SCRIPT, *args], cwd=cwd, capture_output=True,
                        text=True, timeout=900, env=dict(os.environ, **env))


def test_three_folds_test_every_tape_once_and_are_aggregated(tiny_tapes,
                                                             tmp_path):
  conftest.require_current_venv()
  out = tmp_path / 'cv'
  # The build flags through a flagfile that names another, as
  # flags/gpu_multiworker.cfg does.
  window_cfg = tmp_path / 'window.cfg'
  window_cfg.write_text('--window_seconds=1\n')
  build_cfg = tmp_path / 'build.cfg'
  build_cfg.write_text(f'--trim_seconds=1\n--flagfile={window_cfg}\n')
  # A flagfile of flags/ by its full path, from another folder.
  smoke = os.path.join(conftest.ROOT, 'flags', 'cpu_smoke.cfg')

  def run(recipe=smoke):
    return _run(
        [tiny_tapes, str(out), '3'], cwd=tmp_path, RECIPE=recipe,
        BUILD_FLAGS=(f'--tracklist={tiny_tapes}/tracklist.csv '
                     f'--flagfile={build_cfg} --hop_seconds=1'),
        TRAIN_FLAGS=('--model=seed_bn --width=0.125 --depth=3 --epochs=1 '
                     '--batch_size=8 --warmup_steps=2 --virtual_cpus=0 '
                     '--strategy=default'),
        EVAL_FLAGS='--baselines=mel_stats')

  result = run()
  assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
  lines = result.stdout.splitlines()
  tested = []
  for i in range(3):
    info = dataset_info.read(str(out / f'records_{i}'))
    tested.append(set(info['splits']['test']['tape_ids']))
    assert f'== fold {i} of 3: records in {out}/records_{i}' in lines, lines
    metrics = json.loads(
        (out / f'fold_{i}' / 'evaluation' / 'test' / 'metrics.json')
        .read_text())
    assert metrics['split_tapes'] == dataset_info.split_tapes(info)
  # Every labelled tape is tested in exactly one fold.
  assert sum(map(len, tested)) == len(set.union(*tested)) == 12, tested
  report = json.loads((out / 'aggregate.json').read_text())
  assert report['folds'] == 3 and report['tapes'] == 12, report
  assert report['paths'] == [f'{out}/fold_{i}/evaluation/test/metrics.json'
                             for i in range(3)]
  assert 'mel_stats' in report['minus_baselines'], report
  assert any(l.startswith('3 folds, 72 windows of 12 tapes; mean over folds')
             for l in lines), lines
  assert not list(out.glob('*.tmp')), list(out.iterdir())
  # What a fold's records were built by is in its stamp: a change to the
  # builder's code (builder_code_test) builds them again.
  assert (f'builder code {builder_code.fingerprint()}' in
          (out / 'records_0.build.stamp').read_text().splitlines())
  # A rerun keeps the records (and the features cached under their
  # dataset_info.json's hash) and the finished folds, and scores them again.
  info = (out / 'records_0' / 'dataset_info.json').read_text()
  features = sorted(p.name for p in (out / 'records_0').glob('baselines-*'))
  again = run()
  assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
  lines = again.stdout.splitlines()
  for i in range(3):
    assert ('   kept: built before from the same tapes, flags and code (rm -r '
            f'{out}/records_{i} to rebuild)') in lines, lines
  assert sum('nothing left to train' in l for l in lines) == 3, lines
  assert (out / 'records_0' / 'dataset_info.json').read_text() == info
  assert sorted(p.name for p in (out / 'records_0').glob('baselines-*')) == (
      features) != []
  assert json.loads((out / 'aggregate.json').read_text())['model'] == (
      report['model'])
  # A flagfile, even one named inside another, that says something else is
  # other flags: fold 0 is built again (and then its training stops at a
  # recipe that is not there).
  window_cfg.write_text('--window_seconds=1\n# Edited.\n')
  edited = run(recipe=str(tmp_path / 'no_such.cfg'))
  assert edited.returncode == 1, (edited.stdout + edited.stderr)[-3000:]
  assert 'kept: built before' not in edited.stdout, edited.stdout
  assert (out / 'records_0' / 'dataset_info.json').read_text() != info


def test_usage_errors_are_one_line(tmp_path):
  for args, status, line in (
      (['tapes/'], 2, 'usage: scripts/cross_validate.sh TAPES OUT [K]'),
      (['tapes/', 'out/', '2'], 2,
       'cross_validate.sh: K=2: give a whole number of folds, 3 or more'),
      (['nosuch/', 'out/'], 1,
       'cross_validate.sh: nosuch/: no such folder or file')):
    result = _run(args, cwd=tmp_path)
    assert result.returncode == status, result.stderr
    assert result.stderr.splitlines() == [line], result.stderr
    assert not (tmp_path / 'out').exists()
