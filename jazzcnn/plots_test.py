"""The pictures say what they show: the training curves mark the epoch
whose weights were kept; the projection's legend names every colour."""

import numpy as np
import tensorflow as tf

from jazzcnn import plots


def _log(log_dir, run, tag, values):
  with tf.summary.create_file_writer(f'{log_dir}/{run}').as_default():
    for step, value in enumerate(values):
      tf.summary.scalar(tag, value, step=step)


def test_curves_mark_the_kept_epoch_on_whole_epochs(tmp_path, monkeypatch):
  log_dir = str(tmp_path / 'logs')
  _log(log_dir, 'train', 'epoch_loss', [1.4, 0.9, 0.7, 0.6])
  _log(log_dir, 'validation', 'epoch_loss', [1.2, 0.8, 0.9, 1.0])
  _log(log_dir, 'validation', 'epoch_balanced_accuracy', [0.4, 0.7, 0.6, 0.5])
  figures = []
  monkeypatch.setattr(plots, '_save', lambda fig, path: figures.append(fig))
  plots.curves_png(log_dir, str(tmp_path / 'curves.png'), best_epoch=2)
  (fig,) = figures
  fig.canvas.draw()
  for ax in fig.axes:
    (kept,) = [l for l in ax.get_lines() if l.get_label() == 'kept: epoch 2']
    assert list(kept.get_xdata()) == [2, 2]
    assert all(t.get_text().isdigit() for t in ax.get_xticklabels()
               if t.get_text()), [t.get_text() for t in ax.get_xticklabels()]
  loss = {l.get_label(): l.get_ydata() for l in fig.axes[0].get_lines()}
  np.testing.assert_allclose(loss['validation loss'], [1.2, 0.8, 0.9, 1.0],
                             rtol=1e-6)

  figures.clear()
  plots.curves_png(log_dir, str(tmp_path / 'curves.png'))  # No best yet.
  assert not [l for ax in figures[0].axes for l in ax.get_lines()
              if l.get_label().startswith('kept')]


def test_the_projection_legend_names_every_colour(tmp_path, monkeypatch):
  figures = []
  monkeypatch.setattr(plots, '_save', lambda fig, path: figures.append(fig))
  xy = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
  eras = ['early', 'swing', 'bop']
  # Two tapes of known era, one predicted bop, which no tape truly is.
  plots.projection_png(xy, ['a', 'b', 'c'], ['early', 'swing', None],
                       ['early', 'bop', 'bop'], eras, 'unused.png')
  # No track list: every colour is a prediction's ring.
  plots.projection_png(xy, ['a', 'b', 'c'], [None] * 3,
                       ['swing', 'swing', 'bop'], eras, 'unused.png')
  legends = [[t.get_text() for t in fig.axes[0].get_legend().get_texts()]
             for fig in figures]
  assert legends == [
      ['true early', 'true swing', 'era unknown or skipped', 'predicted bop'],
      ['era unknown or skipped', 'predicted swing', 'predicted bop']]
