"""evaluate, predict, embed and plot on a model trained by the smoke config."""

import glob
import json
import os
import shutil
import sys

import numpy as np

import conftest
from jazzcnn import baselines
from jazzcnn import dataset_info
from jazzcnn import export
from jazzcnn import fixed_features
from jazzcnn import models

PNG = b'\x89PNG\r\n\x1a\n'


def _is_png(path):
  with open(path, 'rb') as f:
    return f.read(8) == PNG


def _tapes_by_era(tiny_tapes):
  import csv
  rows = list(csv.DictReader(open(os.path.join(tiny_tapes, 'tracklist.csv'))))
  by_era = {}
  for row in rows:
    path = glob.glob(os.path.join(tiny_tapes, row['title'] + '.*'))[0]
    era = row['title'].split('_Tape_')[0].rsplit('_', 1)[1].lower()
    by_era.setdefault(era, []).append(path)
  return by_era


def test_evaluate_writes_metrics_and_confusion_png(smoke_run, tmp_path):
  # A copy: evaluate caches the baselines' features beside the records,
  # and the shared ones stay as built for the tests after this one.
  data_dir = conftest.copy_records(smoke_run[0], str(tmp_path / 'records'))
  _, info, model_dir, _ = smoke_run
  result = conftest.run([sys.executable, '-m', 'jazzcnn.evaluate',
                         f'--model_dir={model_dir}', f'--data_dir={data_dir}',
                         '--split=test'])
  assert result.returncode == 0, result.stderr[-3000:]
  out = os.path.join(model_dir, 'evaluation', 'test')
  metrics = json.load(open(os.path.join(out, 'metrics.json')))
  for key in ('window_accuracy', 'tape_accuracy', 'per_era',
              'confusion_matrix', 'eras', 'mean_confidence'):
    assert key in metrics
  matrix = np.array(metrics['confusion_matrix'])
  assert matrix.sum() == info['splits']['test']['windows']
  assert metrics['window_accuracy'] == np.trace(matrix) / matrix.sum()
  assert metrics['tapes'] == info['splits']['test']['tapes']
  # The records it was scored on (a copy of those it trained on): no
  # warning, and the name that pairs folds in `aggregate`.
  assert metrics['split_tapes'] == dataset_info.split_tapes(info)
  assert 'trained on other records' not in result.stderr
  test = info['splits']['test']
  assert metrics['heard_in_training'] == {
      'tapes': [0, test['tapes']], 'groups': [0, len(test['groups'])]}
  assert 'not held out' not in result.stderr
  for name in ('mel_stats', 'musicnn_msd', 'musicnn_stats'):  # The default.
    assert 0 <= metrics['baselines'][name]['window_balanced_accuracy'] <= 1
    assert metrics['baselines'][name]['regularisation']['C'] in (
        baselines.CS)
    difference = metrics['baselines'][name]['difference_ci']
    assert set(difference) == {'window_balanced_accuracy',
                               'tape_balanced_accuracy', 'window_roc_auc',
                               'tape_roc_auc'}, difference
    assert f'{name:13s} window balanced accuracy' in result.stdout
  cached = glob.glob(os.path.join(data_dir, 'baselines-*', '*-test.npz'))
  assert sorted(os.path.basename(p) for p in cached) == [
      f'{f}-{fixed_features.fingerprint(f)}-test.npz'
      for f in ('mel_stats', 'musicnn_stats')]
  assert _is_png(os.path.join(out, 'confusion.png'))
  first = result.stdout.splitlines()[1]
  assert first.startswith('balanced accuracy  window ') and '[' in first
  assert 'precision' in result.stdout


# A file that exists and whose every read fails (EIO: its first page is
# unmapped), as on a failing disk; and how predict and embed name it.
_FAILS_TO_READ = '/proc/self/mem'
_READ_ERROR = 'read_error: /proc/self/mem; Input/output error'


def test_predict_reports_bad_files_and_still_runs_the_others(
    smoke_run, tiny_tapes, tmp_path):
  _, info, model_dir, _ = smoke_run
  good = _tapes_by_era(tiny_tapes)['swing'][0]
  broken = tmp_path / 'broken.mp3'
  broken.write_bytes(b'not audio at all' * 50)
  result = conftest.run([sys.executable, '-m', 'jazzcnn.predict',
                         f'--model_dir={model_dir}', '--json', str(broken),
                         _FAILS_TO_READ, good])
  assert result.returncode == 1  # Two files failed...
  assert result.stderr.strip().splitlines()[-1] == (
      "2 of 3 files failed ('error' in its JSON line)")
  assert 'Traceback' not in result.stderr, result.stderr[-3000:]
  lines = [json.loads(l) for l in result.stdout.splitlines()]
  assert lines[0]['path'] == str(broken) and 'unreadable' in lines[0]['error']
  assert lines[1] == {'path': _FAILS_TO_READ, 'error': _READ_ERROR}
  ok = lines[2]  # ...and the other still ran.
  assert ok['path'] == good and ok['era'] in info['eras']
  assert abs(sum(ok['probabilities'].values()) - 1) < 1e-4
  # 8 s of 1 s windows, trimmed by 1 s at each end as the records were.
  assert [w['start_seconds'] for w in ok['timeline']] == list(range(1, 7))
  table = conftest.run([sys.executable, '-m', 'jazzcnn.predict',
                        f'--model_dir={model_dir}', '--trim_seconds=0', good])
  assert table.returncode == 0, table.stderr[-2000:]
  assert table.stdout.count(' s  ') == 8  # The timeline, untrimmed.


def test_embed_same_tape_identical_other_eras_differ(smoke_run, tiny_tapes,
                                                     tmp_path):
  _, info, model_dir, _ = smoke_run
  by_era = _tapes_by_era(tiny_tapes)
  early, cool = by_era['early'][0], by_era['cool'][0]
  copy = str(tmp_path / ('Copy_Of_' + os.path.basename(early)))
  shutil.copy(early, copy)
  broken = tmp_path / 'broken.mp3'
  broken.write_bytes(b'not audio at all' * 50)
  # An earlier run's agreement, of other tapes: without --tracklist there
  # is none to write, and the old one must not stay beside new embeddings.
  os.makedirs(tmp_path / 'styles')
  (tmp_path / 'styles' / 'knn.json').write_text('{"1nn": 1.0}')
  # --output relative to the working directory, named back as given.
  result = conftest.run([sys.executable, '-m', 'jazzcnn.embed',
                         f'--model_dir={model_dir}', '--output=styles',
                         early, copy, str(broken), _FAILS_TO_READ, cool],
                        cwd=tmp_path,
                        env=dict(os.environ, PYTHONPATH=conftest.ROOT))
  assert result.stdout.endswith('wrote 3 embeddings to styles\n'), (
      result.stdout[-500:])
  out = str(tmp_path / 'styles')
  # The broken files are reported and counted; the others are embedded.
  assert result.returncode == 1, result.stderr[-3000:]
  assert 'Traceback' not in result.stderr, result.stderr[-3000:]
  errors = result.stderr.strip().splitlines()
  assert errors[-3].startswith(f'{broken}: ERROR unreadable'), errors
  assert errors[-2] == f'{_FAILS_TO_READ}: ERROR {_READ_ERROR}', errors
  assert errors[-1] == '2 of 5 files failed (ERROR above)', errors
  vectors = np.load(os.path.join(out, 'embeddings.npy'))
  model, _ = export.load_exported(model_dir)
  width = model.get_layer(models.EMBEDDING).output.shape[-1]
  assert vectors.shape == (3, width) and width == 32  # cpu_smoke: 16 * 2.
  np.testing.assert_array_equal(vectors[0], vectors[1])
  assert not np.allclose(vectors[0], vectors[2])
  tapes = json.load(open(os.path.join(out, 'tapes.json')))
  assert tapes[0]['neighbours'][0][0] == tapes[1]['tape']
  fitted = {t for s in ('train', 'validation')
            for t in info['splits'][s]['tape_ids']}
  assert [t['heard_in_training'] for t in tapes] == [
      t['tape'] in fitted for t in tapes]
  assert tapes[1]['heard_in_training'] is False  # The copy, under a new name.
  assert tapes[0]['neighbours'][0][1] >= 1 - 1e-6
  rows = open(os.path.join(out, 'similarity.csv')).read().splitlines()
  assert len(rows) == 4
  assert _is_png(os.path.join(out, 'projection.png'))
  assert not os.path.exists(os.path.join(out, 'knn.json'))


def test_plot_draws_curves_and_the_models_melspectrogram(smoke_run,
                                                         tiny_tapes):
  _, _, model_dir, _ = smoke_run
  tape = _tapes_by_era(tiny_tapes)['bop'][0]
  result = conftest.run([sys.executable, '-m', 'jazzcnn.plot',
                         f'--model_dir={model_dir}', f'--audio={tape}',
                         '--window=2'])
  assert result.returncode == 0, result.stderr[-3000:]
  for name in ('curves.png', 'melspec.png'):
    assert _is_png(os.path.join(model_dir, 'plots', name))
  import matplotlib.image
  image = matplotlib.image.imread(os.path.join(model_dir, 'plots',
                                               'curves.png'))
  assert image.shape[0] > 100 and image.shape[1] > 400
