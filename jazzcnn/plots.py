"""Pictures for people: confusion matrix, melspectrogram, training curves,
style map. Matplotlib with the Agg backend: no display needed."""

import io

import keras
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
from matplotlib import ticker  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf
from tensorflow.core.util import event_pb2

from jazzcnn import globs
from jazzcnn import outputs


def confusion_png(matrix, eras, path, *, title='confusion', unit='windows'):
  """Counts of true (rows) by predicted (columns) era, each cell labelled."""
  matrix = np.asarray(matrix)
  fig, ax = plt.subplots(figsize=(1.3 * len(eras) + 3, 1.2 * len(eras) + 1.5))
  im = ax.imshow(matrix, cmap='Blues')
  fig.colorbar(im, ax=ax, label=unit)
  ax.set_xticks(range(len(eras)), eras)
  ax.set_yticks(range(len(eras)), eras)
  ax.set_xlabel('predicted era')
  ax.set_ylabel('true era')
  ax.set_title(title)
  for (i, j), v in np.ndenumerate(matrix):
    ax.text(j, i, str(v), ha='center', va='center',
            color='white' if v > matrix.max() / 2 else 'black')
  _save(fig, path)


# Each front end's last spectrogram layer, and whether it is [time, mels].
_SPECTROGRAM_LAYERS = (('normalize', False), ('log_compression', True))


def model_melspec(model, waveform):
  """One window's melspectrogram as the CNN sees it [mels, frames].

  For a model that reads chunks of a window, the first chunk.
  """
  names = {layer.name for layer in model.layers}
  for name, time_first in _SPECTROGRAM_LAYERS:
    if name in names:
      front = keras.Model(model.input, model.get_layer(name).output)
      x = np.asarray(front(waveform[None], training=False))[0, :, :, 0]
      return x.T if time_first else x
  raise ValueError(f'{model.name} has no spectrogram layer '
                   f'({", ".join(n for n, _ in _SPECTROGRAM_LAYERS)})')


def melspec_png(melspec, path, *, sample_rate, hop_length=256, title=''):
  fig, ax = plt.subplots(figsize=(10, 4))
  seconds = melspec.shape[1] * hop_length / sample_rate
  im = ax.imshow(melspec, origin='lower', aspect='auto', cmap='magma',
                 extent=(0, seconds, 0, melspec.shape[0]))
  ax.set_xlabel('seconds into the window')
  ax.set_ylabel('mel band (low to high)')
  ax.set_title(title or 'melspectrogram, as the model sees it')
  fig.colorbar(im, ax=ax, label='log power, scaled as the front end does')
  _save(fig, path)


def read_scalars(log_dir):
  """{run: {tag: [(step, value)]}} of the scalars in TensorBoard event files."""
  out = {}
  for run in ('train', 'validation'):
    files = sorted(tf.io.gfile.glob(globs.inside(log_dir, run,
                                                 'events.out.*')))
    for record in tf.data.TFRecordDataset(files):
      event = event_pb2.Event.FromString(record.numpy())
      for value in event.summary.value:
        if value.HasField('tensor'):
          array = tf.make_ndarray(value.tensor)
          if array.dtype.kind not in 'fiu' or array.size != 1:
            continue  # The model graph and other non-scalars.
          scalar = float(array)
        else:
          scalar = value.simple_value
        out.setdefault(run, {}).setdefault(value.tag, []).append(
            (event.step, scalar))
  return out


def curves_png(log_dir, path, *, best_epoch=None):
  """Loss and accuracy per epoch from a model dir's logs/.

  Validation's balanced accuracy (what picks the exported epoch) is drawn
  beside the plain accuracies, and `best_epoch` (1-based; None: not drawn),
  the epoch it picked, as a dashed line. Epochs are whole numbers on the
  axis.
  """
  scalars = read_scalars(log_dir)
  panels = ((('epoch_loss',), 'cross-entropy'),
            (('epoch_accuracy', 'epoch_balanced_accuracy'), 'accuracy'))
  if not any(t in run for run in scalars.values() for tags, _ in panels
             for t in tags):
    raise ValueError(f'no epoch scalars under {log_dir}')
  fig, axes = plt.subplots(1, 2, figsize=(11, 4))
  for ax, (tags, ylabel) in zip(axes, panels):
    for run, series in scalars.items():
      for tag in tags:
        if tag in series:
          steps, values = zip(*sorted(series[tag]))
          ax.plot(np.array(steps) + 1, values, marker='o',
                  label=f"{run} {tag.replace('epoch_', '').replace('_', ' ')}")
    if best_epoch:
      ax.axvline(best_epoch, color='0.4', linestyle='--', linewidth=1,
                 label=f'kept: epoch {best_epoch}')
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_xlabel('epoch')
    ax.set_ylabel(ylabel)
    ax.legend()
  _save(fig, path)


def projection_png(xy, names, true_eras, predicted, era_names, path):
  """Tapes in the plane of the embeddings' first two principal components.

  Filled by true era where it is known (`true_eras[i]` in `era_names`),
  ringed by the predicted era; tapes without a true era (not in the track
  list, or skipped by the label rule) are hollow grey circles ringed by the
  prediction. Names are placed so they do not overlap.
  """
  fig, ax = plt.subplots(figsize=(9, 6.5))
  colour = dict(zip(era_names, plt.get_cmap('tab10').colors))
  known = [e in colour for e in true_eras]
  for era in era_names:
    mine = [k for k, e in enumerate(true_eras) if e == era]
    if mine:
      ax.scatter(xy[mine, 0], xy[mine, 1], color=colour[era], s=70,
                 label=f'true {era}', zorder=2)
  unknown = [k for k, ok in enumerate(known) if not ok]
  if unknown:
    ax.scatter(xy[unknown, 0], xy[unknown, 1], facecolors='none',
               edgecolors='0.6', s=70, label='era unknown or skipped',
               zorder=2)
  ring = dict(s=170, facecolors='none', linewidths=1.6, zorder=1)
  ax.scatter(xy[:, 0], xy[:, 1],
             edgecolors=[colour.get(p, '0.3') for p in predicted], **ring)
  for era in era_names:  # Ring colours no filled point shows in the legend.
    if era in predicted and era not in true_eras:
      ax.scatter([], [], edgecolors=[colour[era]], label=f'predicted {era}',
                 **ring)
  ax.set_xlabel('principal component 1')
  ax.set_ylabel('principal component 2')
  ax.set_title('style embeddings: fill = true era, ring = predicted era'
               if any(known) else
               'style embeddings: ring = predicted era (no track list)')
  ax.legend(fontsize=8, loc='upper left', bbox_to_anchor=(1.01, 1))
  _label_points(fig, ax, xy, names)
  _save(fig, path)


def _label_points(fig, ax, xy, names):
  """Names beside their points, each moved until it overlaps no other."""
  ax.margins(0.12)
  renderer = fig.canvas.get_renderer()
  placed = []
  right = [(6, 4), (6, -10), (6, 14), (6, -20), (6, 24), (6, -30)]
  left = [(-dx, dy) for dx, dy in right]
  middle = np.median(xy[:, 0])
  for (x, y), name in zip(xy, names):
    offsets = right + left if x <= middle else left + right  # Inwards first.
    for dx, dy in offsets:
      text = ax.annotate(name, (x, y), xytext=(dx, dy),
                         textcoords='offset points', fontsize=6,
                         ha='left' if dx > 0 else 'right')
      box = text.get_window_extent(renderer)
      if not any(box.overlaps(other) for other in placed):
        break
      text.remove()
    else:
      text = ax.annotate(name, (x, y), xytext=offsets[0],
                         textcoords='offset points', fontsize=6, alpha=0.6)
      box = text.get_window_extent(renderer)
    placed.append(box)


def _save(fig, path):
  fig.tight_layout()
  png = io.BytesIO()
  fig.savefig(png, format='png', dpi=110)
  plt.close(fig)
  outputs.write(path, png.getvalue())
