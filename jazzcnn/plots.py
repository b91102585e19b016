"""Pictures for people: confusion matrix, melspectrogram, training curves,
style map. Matplotlib with the Agg backend: no display needed."""

import posixpath

import keras
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf
from tensorflow.core.util import event_pb2


def confusion_png(matrix, eras, path, *, title='confusion'):
  matrix = np.asarray(matrix)
  fig, ax = plt.subplots(figsize=(1.3 * len(eras) + 2, 1.2 * len(eras) + 1.5))
  ax.imshow(matrix, cmap='Blues')
  ax.set_xticks(range(len(eras)), eras)
  ax.set_yticks(range(len(eras)), eras)
  ax.set_xlabel('predicted')
  ax.set_ylabel('true')
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
  ax.set_xlabel('seconds')
  ax.set_ylabel('mel bin')
  ax.set_title(title or 'melspectrogram (normalised, as the model sees it)')
  fig.colorbar(im, ax=ax)
  _save(fig, path)


def read_scalars(log_dir):
  """{run: {tag: [(step, value)]}} of the scalars in TensorBoard event files."""
  out = {}
  for run in ('train', 'validation'):
    files = sorted(tf.io.gfile.glob(posixpath.join(log_dir, run,
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


def curves_png(log_dir, path):
  """Loss and accuracy per epoch from a model dir's logs/."""
  scalars = read_scalars(log_dir)
  tags = ('epoch_loss', 'epoch_accuracy')
  if not any(t in run for run in scalars.values() for t in tags):
    raise ValueError(f'no epoch scalars under {log_dir}')
  fig, axes = plt.subplots(1, 2, figsize=(11, 4))
  for ax, tag in zip(axes, tags):
    for run, series in scalars.items():
      if tag in series:
        steps, values = zip(*sorted(series[tag]))
        ax.plot(np.array(steps) + 1, values, marker='o', label=run)
    ax.set_xlabel('epoch')
    ax.set_title(tag.replace('epoch_', ''))
    ax.legend()
  _save(fig, path)


def projection_png(xy, names, eras_of, era_names, path):
  fig, ax = plt.subplots(figsize=(8, 6))
  colours = plt.get_cmap('tab10')
  for i, era in enumerate(era_names):
    mine = [k for k, e in enumerate(eras_of) if e == era]
    if mine:
      ax.scatter(xy[mine, 0], xy[mine, 1], color=colours(i), label=era, s=40)
  for (x, y), name in zip(xy, names):
    ax.annotate(name, (x, y), fontsize=6, alpha=0.7)
  ax.set_title('style embeddings (PCA), coloured by era')
  ax.legend()
  _save(fig, path)


def _save(fig, path):
  fig.tight_layout()
  with tf.io.gfile.GFile(path, 'wb') as f:
    fig.savefig(f, format='png', dpi=110)
  plt.close(fig)
