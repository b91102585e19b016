"""The lines evaluate prints for people."""

from jazzcnn import evaluate_report


def test_each_baseline_line_says_how_far_the_model_is_above_or_below_it():
  model = {'window_balanced_accuracy': 0.7, 'tape_balanced_accuracy': 0.75}
  baselines = {
      'weak': {'window_balanced_accuracy': 0.646,
               'tape_balanced_accuracy': 0.75},
      'strong': {'window_balanced_accuracy': 0.9,
                 'tape_balanced_accuracy': 0.7504}}
  weak, strong = evaluate_report.compare(model, baselines)
  assert weak.endswith(
      ': the model is 0.054 above it in windows, level with it in tapes')
  assert strong.endswith(
      ': the model is 0.200 below it in windows, level with it in tapes')
  assert strong.startswith('strong        window balanced accuracy 0.900')
  # With the paired intervals of the model minus the baseline.
  baselines['weak']['difference_ci'] = {
      'window_balanced_accuracy': [-0.0312, 0.1404],
      'tape_balanced_accuracy': None}
  weak, _ = evaluate_report.compare(model, baselines)
  assert weak.endswith(': the model is 0.054 above it in windows [-0.031, '
                       '+0.140], level with it in tapes')
  # A line of ROC AUC under each, where the model and it have both.
  model.update(window_roc_auc=0.81, tape_roc_auc=0.8)
  for b, auc in zip(baselines.values(), (0.7, 0.9)):
    b.update(window_roc_auc=auc, tape_roc_auc=auc)
  baselines['weak']['difference_ci'].update(
      window_roc_auc=[0.02, 0.2], tape_roc_auc=[-0.05, 0.25])
  weak, weak_auc, strong, strong_auc = evaluate_report.compare(
      model, baselines)
  assert weak.startswith('weak          window balanced accuracy 0.646')
  assert weak_auc == (' ' * 14 + 'window ROC AUC 0.700 [no interval], tape '
                      '0.700 [no interval]: the model is 0.110 above it in '
                      'windows [+0.020, +0.200], 0.100 above it in tapes '
                      '[-0.050, +0.250]')
  assert strong_auc.endswith(': the model is 0.090 below it in windows, '
                             '0.100 below it in tapes')
  baselines['weak']['tape_roc_auc'] = None  # A split of one era.
  assert len(evaluate_report.compare(model, baselines)) == 3


def test_not_held_out_names_the_tapes_or_groups_a_model_heard():
  assert evaluate_report.not_held_out(
      {'tapes': [2, 13], 'groups': [3, 9]}, 'test', 'artist_era') == (
          'it was fitted or chosen on 2 of the 13 test tapes scored here '
          '(its train or validation split held them): their scores are not '
          'held out')
  assert evaluate_report.not_held_out(
      {'tapes': [0, 13], 'groups': [3, 9]}, 'test', 'artist_era') == (
          'it heard none of the 13 test tapes scored here, but 3 of their 9 '
          'groups (--split_by=artist_era) are groups it was fitted or chosen '
          'on: those tapes are not held out by artist_era')
  for held_out in ({'tapes': [0, 13], 'groups': [0, 9]},
                   {'tapes': [0, 13], 'groups': None}, None):
    assert evaluate_report.not_held_out(held_out, 'test', 'artist_era') is None
