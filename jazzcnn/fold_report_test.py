"""Fold reports: means with t-intervals, paired differences, the command."""

import json
import subprocess
import sys

import pytest

from jazzcnn import evaluate_lib
from jazzcnn import fold_report
from jazzcnn import evaluate_lib_test as fixed

# t(0.975, 2 df) = 4.303.
T2 = 4.302653


def _folds(window_scores):
  folds = []
  for score in window_scores:
    m = evaluate_lib.compute_metrics(fixed.PROBS, fixed.LABELS, fixed.TAPES,
                                     fixed.ERAS)
    m['window_balanced_accuracy'] = score
    m['baselines'] = {'mel_stats': evaluate_lib.headline(m)}
    folds.append(m)
  return folds


def test_folds_aggregate_to_a_mean_with_a_t_interval(tmp_path):
  folds = _folds((0.5, 0.6, 0.7))
  for i, m in enumerate(folds):
    (tmp_path / f'fold{i}.json').write_text(json.dumps(m))
  report = fold_report.aggregate_folds(folds)
  summary = report['model']['window_balanced_accuracy']
  assert summary['mean'] == pytest.approx(0.6)
  assert summary['std'] == pytest.approx(0.1)
  half = T2 * 0.1 / 3**0.5  # sem = 0.1 / sqrt(3).
  assert summary['ci'] == pytest.approx([0.6 - half, 0.6 + half], rel=1e-4)
  assert report['baselines']['mel_stats']['window_balanced_accuracy'][
      'folds'] == 3
  assert report['windows'] == 3 * 8
  assert 'difference' not in report
  result = subprocess.run(
      [sys.executable, '-m', 'jazzcnn.aggregate', str(tmp_path / 'fold*.json'),
       f'--output={tmp_path / "all.json"}'], capture_output=True, text=True)
  assert result.returncode == 0, result.stderr[-2000:]
  assert result.stdout.startswith('3 folds, 24 windows of 15 tapes')
  assert json.loads((tmp_path / 'all.json').read_text())['folds'] == 3
  missing = subprocess.run(
      [sys.executable, '-m', 'jazzcnn.aggregate', str(tmp_path / 'no*.json')],
      capture_output=True, text=True)
  assert missing.returncode == 1 and 'matched no files' in missing.stderr
  with pytest.raises(ValueError, match='different eras'):
    fold_report.aggregate_folds([folds[0], dict(folds[1], eras=['a'])])


def test_an_interval_stops_at_the_scores_bounds():
  # Five folds near 1.0: the t-interval is 0.95 -/+ 2.776 x 0.0316, and
  # its upper end, 1.038, is no accuracy: it stops at 1. A difference
  # stops at -1 (-0.967 -/+ 4.303 x 0.0167 reaches -1.038).
  near_one = fold_report.aggregate_folds(_folds((1.0, 1.0, 0.9, 1.0, 0.85)))
  ci = near_one['model']['window_balanced_accuracy']['ci']
  assert ci[1] == 1.0 and 0.8 < ci[0] < 0.9
  assert fold_report.format_summary(
      near_one['model']['window_balanced_accuracy']) == '0.950 [0.862, 1.000]'
  worse = fold_report.paired_differences(_folds((0.05, 0.05, 0.0)),
                                         _folds((1.0, 1.0, 1.0)))
  ci = worse['window_balanced_accuracy']['ci']
  assert ci[0] == -1.0 and ci[1] == pytest.approx(-0.895, abs=1e-3)


def test_paired_differences_cancel_the_folds_own_difficulty():
  # The folds differ by 0.3 in difficulty; the model is 0.05 better on
  # each, give or take 0.01: paired, the interval is narrow and above 0.
  model = _folds((0.55, 0.76, 0.84))
  other = _folds((0.50, 0.70, 0.80))
  difference = fold_report.paired_differences(model, other)
  summary = difference['window_balanced_accuracy']
  assert summary['mean'] == pytest.approx(0.05)
  assert summary['std'] == pytest.approx(0.01)
  assert summary['ci'][0] > 0.02 and summary['ci'][1] < 0.08
  assert difference['tape_balanced_accuracy']['mean'] == 0  # Same tapes.
  unpaired = fold_report.aggregate_folds(model)['model'][
      'window_balanced_accuracy']['ci']
  assert unpaired[0] < 0.5  # Without pairing, difficulty swamps it.
  with pytest.raises(ValueError, match='3 folds against 2'):
    fold_report.paired_differences(model, other[:2])
  with pytest.raises(ValueError, match='fold 1 is not the same test split'):
    fold_report.paired_differences(model, [other[0], dict(other[1],
                                                          windows=9), other[2]])


def test_the_command_prints_the_paired_differences(tmp_path):
  for name, scores in (('a', (0.55, 0.76, 0.84)), ('b', (0.50, 0.70, 0.80))):
    for i, m in enumerate(_folds(scores)):
      (tmp_path / f'{name}{i}.json').write_text(json.dumps(m))
  result = subprocess.run(
      [sys.executable, '-m', 'jazzcnn.aggregate', str(tmp_path / 'a*.json'),
       f'--against={tmp_path / "b*.json"}', f'--output={tmp_path / "d.json"}'],
      capture_output=True, text=True)
  assert result.returncode == 0, result.stderr[-2000:]
  assert 'minus --against, paired by fold:' in result.stdout
  assert '  window balanced accuracy' in result.stdout
  report = json.loads((tmp_path / 'd.json').read_text())
  assert report['difference']['window_balanced_accuracy']['mean'] == (
      pytest.approx(0.05))
  assert len(report['against']) == 3


def test_folds_that_name_their_records_pair_by_them_and_count_once():
  model = _folds((0.55, 0.76, 0.84))
  other = _folds((0.50, 0.70, 0.80))
  for i, (a, b) in enumerate(zip(model, other)):
    a['split_tapes'] = b['split_tapes'] = f'fold{i}'
  # A glob's order put the other model's folds 1 and 2 first: still paired.
  shuffled = [other[1], other[2], other[0]]
  difference = fold_report.paired_differences(model, shuffled)
  assert difference['window_balanced_accuracy']['mean'] == pytest.approx(0.05)
  assert difference['window_balanced_accuracy']['std'] == pytest.approx(0.01)
  with pytest.raises(ValueError, match=r'fold 2 \(split_tapes fold2\) is '
                     'none of the other folds'):
    fold_report.paired_differences(model, other[:2] + [dict(other[2],
                                                            split_tapes='x')])
  with pytest.raises(ValueError, match=r'folds 0 and 2 were scored on the '
                     r'same records \(split_tapes fold0\)'):
    fold_report.aggregate_folds([model[0], model[1],
                                 dict(model[2], split_tapes='fold0')])


def test_a_fold_scored_by_a_model_that_heard_its_tapes_is_refused():
  model = _folds((0.55, 0.76, 0.84))
  other = _folds((0.50, 0.70, 0.80))
  held_out = {'tapes': [0, 12], 'groups': [0, 9]}
  for m in model + other:
    m['heard_in_training'] = held_out
  fold_report.aggregate_folds(model, against=other)
  # Fold 1 scored with fold 0's model: it trained on 4 of those tapes.
  leaked = dict(model[1], heard_in_training={'tapes': [4, 12],
                                             'groups': [3, 9]})
  with pytest.raises(ValueError, match=r'^fold 1 is not held out: its model '
                     r'was fitted or chosen on 4 of its 12 tapes, 3 of its 9 '
                     'groups; score each fold with the model trained on '):
    fold_report.aggregate_folds([model[0], leaked, model[2]])
  # Other tapes by the same players, in --against's folds too.
  players = dict(other[2], heard_in_training={'tapes': [0, 12],
                                              'groups': [2, 9]})
  with pytest.raises(ValueError, match=r'^--against fold 2 is not held '
                     r'out: .* 0 of '
                     'its 12 tapes, 2 of its 9 groups'):
    fold_report.aggregate_folds(model, against=other[:2] + [players])


def test_the_model_minus_each_baseline_is_paired_by_fold():
  folds = _folds((0.55, 0.76, 0.84))
  # The baseline trails by 0.04, 0.06, 0.08 on the same folds.
  for m, gap in zip(folds, (0.04, 0.06, 0.08)):
    m['baselines']['mel_stats']['window_balanced_accuracy'] = (
        m['window_balanced_accuracy'] - gap)
  report = fold_report.aggregate_folds(folds)
  minus = report['minus_baselines']['mel_stats']['window_balanced_accuracy']
  assert minus['mean'] == pytest.approx(0.06)
  half = T2 * 0.02 / 3**0.5
  assert minus['ci'] == pytest.approx([0.06 - half, 0.06 + half], rel=1e-4)
  # Unpaired, the model's own interval is far wider than that gap's.
  model = report['model']['window_balanced_accuracy']['ci']
  assert model[1] - model[0] > 5 * (minus['ci'][1] - minus['ci'][0])
  lines = fold_report.format_folds(report)
  at = lines.index('model minus mel_stats, paired by fold:')
  assert lines[at + 1].startswith('  window balanced accuracy'), lines
  assert '0.060 [0.010, 0.110]' in lines[at + 1], lines


def test_roc_auc_is_aggregated_where_every_fold_has_it():
  folds = _folds((0.5, 0.6, 0.7))
  report = fold_report.aggregate_folds(folds)
  auc = folds[0]['window_roc_auc']  # 0.9, the same in each fold here.
  assert report['model']['window_roc_auc']['mean'] == pytest.approx(auc)
  assert report['baselines']['mel_stats']['tape_roc_auc']['folds'] == 3
  assert report['minus_baselines']['mel_stats']['tape_roc_auc']['mean'] == 0
  assert fold_report.paired_differences(folds, _folds((0.5, 0.6, 0.7)))[
      'window_roc_auc']['mean'] == 0
  assert any(line.startswith('window ROC AUC') for line in
             fold_report.format_folds(report))
  # A metrics.json from before the AUCs (or of a one-era split) still
  # aggregates, on the scores every fold has.
  for key in evaluate_lib.RANKING:
    del folds[1][key]
  folds[2]['baselines']['mel_stats']['tape_roc_auc'] = None
  report = fold_report.aggregate_folds(folds)
  assert 'window_roc_auc' not in report['model']
  assert 'tape_roc_auc' not in report['baselines']['mel_stats']
  assert list(report['minus_baselines']['mel_stats']) == list(
      evaluate_lib.BALANCED)
  assert 'window_roc_auc' in report['baselines']['mel_stats']
