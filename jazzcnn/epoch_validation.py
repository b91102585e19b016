"""Validation during training: each epoch's predictions and their scores.

`predictor` gives a function that predicts the validation split with the
model's weights of the moment; under `--freeze` it runs the fixed layers
once (`CachedValidation`). `scores` turns predictions into what the
`checkpoints.Validation` callback logs and keeps the best epoch by.
"""

import logging

import numpy as np

from jazzcnn import dataset_info
from jazzcnn import evaluate_lib
from jazzcnn import metrics
from jazzcnn import models


def scores(probs, labels, num_eras):
  """{'loss', 'accuracy', 'balanced_accuracy'} of validation predictions."""
  matrix = metrics.confusion(labels, probs.argmax(1), num_eras)
  return {'loss': metrics.cross_entropy(probs, labels),
          'accuracy': metrics.accuracy(matrix),
          'balanced_accuracy': metrics.balanced_accuracy(matrix)}


# The most memory the validation features of a frozen model may take; a
# larger split runs through the whole model each epoch.
MAX_CACHED_BYTES = 1 << 30


class CachedValidation:
  """`evaluate_lib.predict_split` of validation, the fixed layers run once.

  Under `freeze` the layers before `models.frozen_split`'s cut never
  change, so their outputs for the validation windows are computed on the
  first call and kept; every call then runs only the layers that train.
  The predictions are the whole model's. For musicnn_msd this removes most
  of an epoch's work: a training window sends one 3 s chunk through the
  front end, a validation window all five.
  """

  def __init__(self, features, head, data_dir, info, batch_size):
    self._features, self._head = features, head
    self._data_dir, self._info, self._batch = data_dir, info, batch_size
    # (outputs [windows * rows, ...], labels, tape ids, rows per window).
    self._cache = None

  def __call__(self):
    """(probs [N, eras], labels [N], tape_ids [N]), as predict_split's."""
    if self._cache is None:
      outputs, labels, tapes = evaluate_lib.predict_split(
          self._features, self._data_dir, self._info, 'validation',
          batch_size=self._batch)
      self._cache = outputs, labels, tapes, len(outputs) // len(labels)
    outputs, labels, tapes, rows = self._cache
    head = models.inference_fn(self._head)
    step = self._batch * rows  # A batch of whole windows.
    probs = [head(outputs[i:i + step]).numpy()
             for i in range(0, len(outputs), step)]
    return np.concatenate(probs), labels, tapes


def predictor(model, data_dir, info, *, architecture, batch_size):
  """A function of no arguments → the model's validation predictions now.

  (probs, labels, tape_ids) as `evaluate_lib.predict_split` returns them:
  through a `CachedValidation` when the model has frozen layers to cut at
  and their validation outputs fit in `MAX_CACHED_BYTES`.
  """
  split = models.frozen_split(model, architecture)  # None unless frozen.
  if split:
    features, head = split
    one = features(np.zeros((1, info['window_samples']), np.int16),
                   training=False)
    size = one.numpy().nbytes * dataset_info.windows(info, 'validation')
    if size <= MAX_CACHED_BYTES:
      return CachedValidation(features, head, data_dir, info, batch_size)
    logging.info('validation features would take %.1f GiB: validation '
                 'runs through the whole model', size / 2**30)
  return lambda: evaluate_lib.predict_split(
      model, data_dir, info, 'validation', batch_size=batch_size)
