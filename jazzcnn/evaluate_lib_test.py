"""Metrics against values worked out by hand on a tiny fixed set; the
predictions' memo on tiny records."""

import keras
import numpy as np
import pytest

from jazzcnn import evaluate_lib
from jazzcnn import evaluate_report

ERAS = ['early', 'swing', 'bop']
# Six windows of two tapes per era... worked through below.
LABELS = np.array([0, 0, 0, 1, 1, 2, 2, 2])
PROBS = np.array([
    [0.7, 0.2, 0.1],  # tape a (early): right
    [0.6, 0.3, 0.1],  # a: right
    [0.2, 0.7, 0.1],  # b (early): wrong, swing
    [0.1, 0.8, 0.1],  # c (swing): right
    [0.5, 0.4, 0.1],  # c: wrong, early
    [0.1, 0.1, 0.8],  # d (bop): right
    [0.3, 0.3, 0.4],  # d: right
    [0.1, 0.6, 0.3],  # e (bop): wrong, swing
])
TAPES = np.array(['a', 'a', 'b', 'c', 'c', 'd', 'd', 'e'])


def test_metrics_match_the_hand_computed_values():
  m = evaluate_lib.compute_metrics(PROBS, LABELS, TAPES, ERAS)
  # Rows true, columns predicted.
  assert m['confusion_matrix'] == [[2, 1, 0], [1, 1, 0], [0, 1, 2]]
  assert m['window_accuracy'] == pytest.approx(5 / 8)
  # early: precision 2/3, recall 2/3; swing: 1/3, 1/2; bop: 2/2, 2/3.
  assert m['per_era']['early']['precision'] == pytest.approx(2 / 3)
  assert m['per_era']['early']['recall'] == pytest.approx(2 / 3)
  assert m['per_era']['swing']['precision'] == pytest.approx(1 / 3)
  assert m['per_era']['swing']['recall'] == pytest.approx(1 / 2)
  assert m['per_era']['swing']['f1'] == pytest.approx(0.4)  # 2*(1/6)/(5/6)
  assert m['per_era']['bop']['precision'] == pytest.approx(1.0)
  assert m['per_era']['bop']['f1'] == pytest.approx(0.8)  # 2*(2/3)/(5/3)
  assert [m['per_era'][e]['support'] for e in ERAS] == [3, 2, 3]
  # Tapes by mean probability: a early ✓, b swing ✗, c [.3,.6,.1] swing ✓,
  # d [.2,.2,.6] bop ✓, e swing ✗.
  assert m['tapes'] == 5
  assert m['tape_accuracy'] == pytest.approx(3 / 5)
  assert m['tape_confusion_matrix'] == [[1, 1, 0], [0, 1, 0], [0, 1, 1]]
  # The seed's table: mean softmax of each true era's windows.
  assert m['mean_confidence']['swing'] == pytest.approx(
      {'early': 0.3, 'swing': 0.6, 'bop': 0.1})
  # Balanced: the mean recall over eras. Windows 2/3, 1/2, 2/3; tapes
  # early 1/2 (a ✓ b ✗), swing 1/1, bop 1/2 (d ✓ e ✗).
  assert m['window_balanced_accuracy'] == pytest.approx((2 / 3 + 1 / 2 + 2 / 3)
                                                        / 3)
  assert m['tape_balanced_accuracy'] == pytest.approx(2 / 3)
  assert m['window_macro_f1'] == pytest.approx((2 / 3 + 0.4 + 0.8) / 3)
  # ROC AUC, each era against the rest: of early's 3 x 5 pairs of windows,
  # 0.7 and 0.6 outrank all 5, 0.2 only the three 0.1s: 13/15; swing's 0.8
  # outranks all 6 others, 0.4 four of them: 10/12; bop's all 15.
  assert [m['per_era'][e]['roc_auc'] for e in ERAS] == pytest.approx(
      [13 / 15, 10 / 12, 1.0])
  assert m['window_roc_auc'] == pytest.approx((13 / 15 + 10 / 12 + 1) / 3)
  # Intervals resample tapes within each era; swing has a single tape.
  assert m['resampled'] == 'tapes' and m['resampling_units'] == 5
  low, high = m['window_balanced_accuracy_ci']
  assert low <= m['window_balanced_accuracy'] <= high and low < high
  report = evaluate_report.format_report(m).splitlines()
  assert m['fewest_units_an_era'] == 1  # Swing's one tape.
  assert report[0].endswith(
      '(95% intervals resample 5 tapes within each era; with 1 in the '
      'smallest era they hold the truth less often: BENCHMARKS.md, "How '
      'often a 95 % interval holds the truth")')
  assert report[1].startswith('balanced accuracy  window 0.611 [')
  assert report[3].startswith('ROC AUC            window 0.900 [')
  assert report[4].startswith('plain accuracy     window 0.625 [')
  assert ' tape 0.600 [' in report[4]
  for key in ('window_accuracy', 'tape_accuracy', 'window_macro_f1',
              'tape_macro_f1', 'tape_balanced_accuracy', 'window_roc_auc',
              'tape_roc_auc'):
    assert m[key + '_ci'] is not None, key


def test_intervals_resample_groups_when_given():
  group_of = {'a': 'A|early', 'b': 'A|early', 'c': 'C|swing', 'd': 'D|bop',
              'e': 'E|bop'}
  m = evaluate_lib.compute_metrics(PROBS, LABELS, TAPES, ERAS,
                                   group_of=group_of)
  assert m['resampled'] == 'groups' and m['resampling_units'] == 4
  # Early's two tapes are one group: it cannot be resampled, so fixed.
  assert m['window_balanced_accuracy_ci'] is not None
  # One group an era (the demo's test split): nothing to resample, and the
  # report says so rather than promise intervals.
  one_each = {'a': 'A|early', 'b': 'A|early', 'c': 'C|swing', 'd': 'D|bop',
              'e': 'D|bop'}
  m = evaluate_lib.compute_metrics(PROBS, LABELS, TAPES, ERAS,
                                   group_of=one_each)
  assert m['window_balanced_accuracy_ci'] is None
  report = evaluate_report.format_report(m).splitlines()
  assert report[0].endswith(
      '(no intervals: 3 groups, one an era, nothing to resample)')
  assert report[1].startswith('balanced accuracy  window 0.611 [no interval]')


def test_the_report_warns_of_intervals_over_few_tapes_an_era():
  rng = np.random.default_rng(0)
  for tapes, warned in ((9, True), (10, False)):
    labels = np.repeat(np.arange(3), 2 * tapes)  # Two windows a tape.
    tape_ids = np.array([f't{i // 2:02d}' for i in range(len(labels))])
    probs = rng.dirichlet([1, 1, 1], len(labels))
    m = evaluate_lib.compute_metrics(probs, labels, tape_ids, ERAS)
    assert m['fewest_units_an_era'] == tapes
    first = evaluate_report.format_report(m).splitlines()[0]
    assert ('they hold the truth less often' in first) == warned, first
  del m['fewest_units_an_era']  # A metrics.json from before it.
  assert first == evaluate_report.format_report(m).splitlines()[0]


def test_an_era_without_windows_has_zero_scores_not_errors():
  m = evaluate_lib.compute_metrics(PROBS[:5], LABELS[:5], TAPES[:5], ERAS)
  assert m['per_era']['bop'] == {'precision': 0.0, 'recall': 0.0, 'f1': 0.0,
                                 'support': 0, 'roc_auc': None}
  # Early's 0.7 and 0.6 outrank both swing windows, 0.2 one: 5/6; swing's
  # 0.8 all three early windows, 0.4 two: 5/6.
  assert m['window_roc_auc'] == pytest.approx(5 / 6)
  assert m['mean_confidence']['bop'] is None
  assert 'bop' in evaluate_report.format_report(m)


def _first_samples_model(info):
  """A model of the right input and output, no training needed."""
  x = keras.Input((info['window_samples'],), dtype='int16')
  y = keras.layers.Dense(len(info['eras']), activation='softmax')(
      keras.ops.cast(x[:, :8], 'float32') / 32768.0)
  return keras.Model(x, y)


def test_a_memo_runs_each_window_once_and_gives_the_same_outputs(
    tiny_records):
  data_dir, info = tiny_records
  model = _first_samples_model(info)
  plain = evaluate_lib.predict_split(model, data_dir, info, 'train',
                                     batch_size=3)
  memo = {}
  first = evaluate_lib.predict_split(model, data_dir, info, 'train',
                                     batch_size=3, memo=memo)
  for got, want in zip(first, plain):
    np.testing.assert_array_equal(got, want)
  assert 0 < len(memo) <= len(plain[1])
  # A window found in the memo is not run again: its output is what the
  # memo holds. Mark half the windows, forget the others; the forgotten
  # ones run again and give the model's outputs.
  keys = list(memo)
  marked = {key: np.full_like(memo[key], -i - 1.0)
            for i, key in enumerate(keys[::2])}
  memo = dict(marked)
  probs, labels, tapes = evaluate_lib.predict_split(
      model, data_dir, info, 'train', batch_size=3, memo=memo)
  np.testing.assert_array_equal(labels, plain[1])
  np.testing.assert_array_equal(tapes, plain[2])
  from_memo = probs.min(axis=1) < 0
  assert 0 < from_memo.sum() < len(probs)
  # Run in other batches, so equal to float rounding.
  np.testing.assert_allclose(probs[~from_memo], plain[0][~from_memo],
                             rtol=1e-5, atol=1e-7)
  assert set(memo) == set(keys)  # The forgotten ones are back.


def test_a_paired_interval_is_narrower_where_two_models_err_alike():
  # 12 tapes of two eras, 4 windows each. The baseline errs on half the
  # windows of five tapes; the model on the same ones and one more.
  rng = np.random.default_rng(0)
  tapes = np.repeat([f't{i:02d}' for i in range(12)], 4)
  labels = np.repeat([0] * 6 + [1] * 6, 4)
  right = np.eye(2)[labels] * 0.8 + 0.1
  baseline = right.copy()
  wrong = [w for t in (0, 1, 2, 6, 7) for w in (4 * t, 4 * t + 1)]
  baseline[wrong] = right[wrong][:, ::-1]
  model = baseline.copy()
  model[12] = model[12][::-1]  # Tape t03's first window.
  info = {'eras': ['a', 'b'], 'split_by': 'tape'}
  order = rng.permutation(len(labels))  # Any window order.
  difference = evaluate_lib.difference_intervals(
      (model, labels, tapes),
      {'b': (baseline[order], labels[order], tapes[order]),
       'itself': (model, labels, tapes)}, info)
  # Against itself: nothing to tell apart.
  assert all(v == [0.0, 0.0] for v in difference['itself'].values()), (
      difference)
  difference = difference['b']
  low, high = difference['window_balanced_accuracy']
  scores = [evaluate_lib.split_metrics(p, labels, tapes, info)
            for p in (model, baseline)]
  gap = (scores[0]['window_balanced_accuracy']
         - scores[1]['window_balanced_accuracy'])
  assert gap == pytest.approx(-1 / 48)  # One window of 24 in one era.
  assert low <= gap <= high <= 0  # Never above: it errs wherever that does.
  # Unpaired, each interval is far wider than the paired one.
  a, b = (s['window_balanced_accuracy_ci'] for s in scores)
  assert high - low < (a[1] - a[0]) / 2, (low, high, a, b)
  # The same in ROC AUC: the flipped window ranks lower, never higher.
  low, high = difference['window_roc_auc']
  gap = scores[0]['window_roc_auc'] - scores[1]['window_roc_auc']
  assert low <= gap < 0 and high <= 0, (low, gap, high)
  assert difference['tape_roc_auc'] is not None
  with pytest.raises(ValueError, match='baseline b scored other windows'):
    evaluate_lib.difference_intervals(
        (model, labels, tapes),
        {'b': (baseline[:40], labels[:40], tapes[:40])}, info)
