"""compare: a finished recipe's row, a failed recipe, and the selection."""

import json
import re
import shutil
import sys

import pytest

import conftest
from jazzcnn import baselines
from jazzcnn import compare_lib
from jazzcnn import dataset_info


def test_compare_tabulates_finished_runs_and_reports_failed_ones(smoke_run,
                                                                 tmp_path):
  _, info, model_dir, _ = smoke_run
  # Its own copy: the baselines cache their features beside the records.
  data_dir = conftest.copy_records(smoke_run[0], str(tmp_path / 'records'))
  output = tmp_path / 'compare'
  # The smoke run stands in for recipe 0, finished by an earlier compare:
  # it is tabulated, not trained again.
  shutil.copytree(model_dir, output / '0_cpu_smoke')
  (output / '0_cpu_smoke' / 'compare.json').write_text(json.dumps(
      {'recipe': 'flags/cpu_smoke.cfg', 'seconds': 90.0}))
  results = json.loads(
      (output / '0_cpu_smoke' / 'results.json').read_text())
  result = conftest.run([
      sys.executable, '-m', 'jazzcnn.compare', f'--data_dir={data_dir}',
      f'--output={output}', 'flags/cpu_smoke.cfg',
      'flags/cpu_smoke.cfg --batch_size=0'])
  assert result.returncode == 0, result.stderr[-3000:]
  lines = result.stdout.splitlines()
  assert lines[0].startswith('| recipe | parameters | GFLOP/window |'), lines
  row = lines[2].split(' | ')
  best, test = results['best'], results['test']
  assert row[0] == '| `flags/cpu_smoke.cfg`', row
  assert row[3:6] == ['1.5 min', str(best['epoch']),
                      f'{best["val_balanced_accuracy"]:.3f}'], row
  assert row[6].startswith(f'{test["window_balanced_accuracy"]:.3f}'), row
  assert row[8].split()[0] == f'{test["window_roc_auc"]:.3f}', row
  # The failed recipe is said on stderr, with the trainer's own line; it
  # has no row, and validation can only select the one that ran.
  assert ('flags/cpu_smoke.cfg --batch_size=0: failed' in result.stderr
          and 'batch_size' in result.stderr.split(': failed', 1)[1]), (
              result.stderr[-2000:])
  assert not any('--batch_size=0' in line for line in lines), lines
  cells = lambda line: [c.strip() for c in line.strip('|').split('|')]
  rows = {line.split('`')[1]: cells(line) for line in lines
          if line.startswith('| baseline `')}
  assert sorted(rows) == sorted(baselines.BASELINES), lines
  selected = lines.index('Selected on validation: `flags/cpu_smoke.cfg`')
  # Then the selected model beside each baseline: the difference of the
  # table's scores (with its paired interval where the split has one).
  # Two lines each: balanced accuracy, then ROC AUC, at the table's
  # columns 6-7 and 8-9.
  versus = lines[selected + 2:]
  assert len(versus) == 2 * len(baselines.BASELINES), lines
  for i, name in enumerate(baselines.BASELINES):
    assert versus[2 * i].startswith(name + ' '), versus
    assert versus[2 * i + 1].startswith(' ' * 14 + 'window ROC AUC'), versus
    for line, first in ((versus[2 * i], 6), (versus[2 * i + 1], 8)):
      for level, column in (('window', first), ('tape', first + 1)):
        ours, theirs = (float(r[column].split()[0])
                        for r in (cells(lines[2]), rows[name]))
        said = re.search(rf'(level with it|([0-9.]+) (above|below) it) in '
                         rf'{level}s', line)
        assert said, line
        difference = (0.0 if said[2] is None else
                      float(said[2]) * (1 if said[3] == 'above' else -1))
        assert abs(difference - (ours - theirs)) < 0.0015, (line, lines[2])
  # Recorded as started, not finished: a rerun trains it again.
  failed = json.loads((output / '1_cpu_smoke' / 'compare.json').read_text())
  assert failed == {'recipe': 'flags/cpu_smoke.cfg --batch_size=0',
                    'seed': 0, 'split_tapes': dataset_info.split_tapes(info),
                    'seconds': None}


def test_a_run_of_another_recipe_seed_or_build_is_not_taken_for_this_one(
    tmp_path):
  info = {'splits': {'test': {'tape_ids': ['a', 'b'], 'windows': 9}}}
  fold_1 = {'splits': {'test': {'tape_ids': ['c', 'd'], 'windows': 9}}}
  theirs, ours = dataset_info.split_tapes(info), dataset_info.split_tapes(fold_1)
  output = str(tmp_path)
  (tmp_path / '0_cpu').mkdir()
  (tmp_path / '0_cpu' / 'compare.json').write_text(json.dumps(
      compare_lib.run_record('flags/cpu.cfg --epochs=5', 0, info)
      | {'seconds': 90.0}))
  compare_lib.check_earlier_runs(output, ['flags/cpu.cfg --epochs=5'], 0, info)
  compare_lib.check_earlier_runs(output, ['flags/seed.cfg'], 1, {})  # 0_seed.
  for recipes, seed, built, message in (
      (['flags/cpu.cfg'], 0, info,
       'another recipe (flags/cpu.cfg --epochs=5; here flags/cpu.cfg)'),
      (['flags/cpu.cfg --epochs=5'], 1, info, 'another seed (0; here 1)'),
      (['flags/cpu.cfg --epochs=5'], 0, fold_1,
       f"another split of the records' tapes ({theirs}; here {ours})")):
    with pytest.raises(ValueError) as e:
      compare_lib.check_earlier_runs(output, recipes, seed, built)
    assert str(e.value) == (
        f'{output}/0_cpu holds a run of {message}: use a new --output, or '
        'delete that folder')
