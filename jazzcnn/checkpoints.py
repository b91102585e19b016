"""Checkpoints that survive preemption and divergence, and the best model.

- `Preemption` turns SIGTERM (the preemption notice of Cloud VMs) into a
  flag that both training paths read.
- `Checkpointer` saves (model, optimizer, step) every N steps and at each
  epoch end, and never saves a non-finite state: a diverged run raises
  `Diverged` and a rerun resumes from the last finite checkpoint.
- `Validation` scores the validation split after every epoch (loss,
  accuracy, balanced accuracy into the logs) and keeps the weights of the
  best balanced accuracy in `best/`, which export uses.
"""

import json
import logging
import math
import posixpath
import signal
import threading

import keras
import numpy as np
import tensorflow as tf

from jazzcnn import globs
from jazzcnn import outputs

BEST_DIR = 'best'
_BEST_FILE = 'best.json'


class Diverged(RuntimeError):
  """The loss or the weights became NaN or infinite."""

  def __init__(self, step, loss, last_saved):
    self.step, self.loss, self.last_saved = step, loss, last_saved
    where = (f'the last finite checkpoint is step {last_saved}' if last_saved
             is not None else 'no checkpoint was saved')
    super().__init__(
        f'training diverged at step {step} (loss {loss}): nothing exported, '
        f'{where}; lower --learning_rate or set --clipnorm')


class Preemption:
  """SIGTERM as a flag, installed for the whole of training.

  With one worker, a signal requests a stop. With several, each save is
  collective, so all must stop at the same step: the distributed loop calls
  `coordinate()` and then `agree()` once the workers' flags, summed inside a
  train step, show that any of them was signalled.
  """

  def __init__(self):
    self.signalled = False
    self._coordinated = False
    self._agreed = False
    self._old = None

  def coordinate(self):
    self._coordinated = True

  def agree(self):
    self._agreed = True

  @property
  def requested(self):
    return self._agreed if self._coordinated else self.signalled

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      self._old = signal.signal(signal.SIGTERM, self._handle)
    return self

  def __exit__(self, *unused_exc):
    if self._old is not None:
      signal.signal(signal.SIGTERM, self._old)

  def _handle(self, signum, frame):
    del signum, frame
    self.signalled = True


def all_finite(model):
  return all(np.isfinite(v.numpy()).all() for v in model.weights)


class Checkpointer(keras.callbacks.Callback):
  """Saves (model, optimizer) every N steps and at each epoch end.

  The optimizer's step counter is in the checkpoint, so the epoch and the
  place within it follow from it. On preemption it saves at the next step
  and stops training. A non-finite loss or weight raises `Diverged`
  before anything is saved.
  """

  def __init__(self, manager, every, preemption):
    super().__init__()
    self._manager, self._every, self._preemption = manager, every, preemption

  def _step(self):
    return int(self.model.optimizer.iterations.numpy())

  def _check_finite(self, logs, *, weights):
    """Raises Diverged if the loss (or, with `weights`, a weight) is not finite."""
    loss = float((logs or {}).get('loss', 0.0))
    if not math.isfinite(loss) or (weights and not all_finite(self.model)):
      last = self._manager.latest_checkpoint
      raise Diverged(self._step(), loss,
                     int(last.rsplit('-', 1)[1]) if last else None)

  def _save(self, logs):
    self._check_finite(logs, weights=True)
    step = self._step()
    self._manager.save(checkpoint_number=step)
    return step

  def on_train_batch_end(self, batch, logs=None):
    self._check_finite(logs, weights=False)  # The weights only on a save.
    if self._preemption.requested:
      step = self._save(logs)
      logging.warning('SIGTERM: saved step %d; rerun the same command to '
                      'continue', step)
      self.model.stop_training = True
    elif self._every and self._step() % self._every == 0:
      self._save(logs)

  def on_epoch_end(self, epoch, logs=None):
    self._save(logs)


class Validation(keras.callbacks.Callback):
  """Scores validation each epoch and keeps the best balanced accuracy.

  Put it before the TensorBoard callback: it adds `val_loss`,
  `val_accuracy` and `val_balanced_accuracy` to the epoch's logs.
  """

  def __init__(self, score_fn, best_dir):
    """`score_fn()` → {'loss', 'accuracy', 'balanced_accuracy'} of validation."""
    super().__init__()
    self._score_fn, self._dir = score_fn, best_dir
    self.best = read_best(best_dir)

  def on_epoch_end(self, epoch, logs=None):
    scores = self._score_fn()
    if logs is not None:
      logs.update({f'val_{k}': v for k, v in scores.items()})
    step = int(self.model.optimizer.iterations.numpy())
    logging.info('epoch %d step %d: validation balanced accuracy %.3f, '
                 'accuracy %.3f, loss %.4f', epoch + 1, step,
                 scores['balanced_accuracy'], scores['accuracy'],
                 scores['loss'])
    key = validation_key({'val_balanced_accuracy': scores['balanced_accuracy'],
                          'val_loss': scores['loss']})
    best = validation_key(self.best) if self.best else None
    if (best is None or key > best) and all_finite(self.model):
      self.best = save_best(self.model, self._dir, step=step, epoch=epoch + 1,
                            value=scores['balanced_accuracy'],
                            loss=scores['loss'])


def validation_key(best):
  """How epochs, and runs (`compare`), rank on validation: larger is better.

  Higher balanced accuracy wins; a tie goes to the lower loss (on a small
  validation split the first perfect epoch is rarely the best). `best` is a
  best.json dict.
  """
  return best['val_balanced_accuracy'], -best.get('val_loss', float('inf'))


def read_best(best_dir):
  """best.json of `best_dir` ({'step', 'epoch', 'val_balanced_accuracy',
  'val_loss', 'prefix'}), or None."""
  path = posixpath.join(best_dir, _BEST_FILE)
  if not tf.io.gfile.exists(path):
    return None
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def check_directory(model_dir):
  """Raises ValueError for a model_dir whose name holds '*', '?' or '[':
  TensorFlow's checkpoint manager matches its own files by such a name as a
  glob, so it never prunes the run's old checkpoints and deletes those of
  another run ('runs/seed[0]' deletes 'runs/seed0''s)."""
  if globs.is_glob(model_dir):
    raise ValueError(
        f'{model_dir}: TensorFlow\'s checkpoints read a folder name with '
        f'{" ".join(globs.GLOB_CHARACTERS)} as a glob (pruning them would '
        'delete another run\'s); choose a name without those characters')


def save_best(model, best_dir, *, step, epoch, value, loss):
  """Writes the model's weights, then best.json naming them (last, atomic)."""
  previous = read_best(best_dir)
  prefix = tf.train.Checkpoint(model=model).write(
      posixpath.join(best_dir, f'step-{step}'))
  best = {'step': step, 'epoch': epoch, 'val_balanced_accuracy': value,
          'val_loss': loss, 'prefix': posixpath.basename(prefix)}
  outputs.write_json(posixpath.join(best_dir, _BEST_FILE), best)
  if previous and previous['prefix'] != best['prefix']:
    for stale in tf.io.gfile.glob(globs.inside(best_dir,
                                               previous['prefix'] + '.*')):
      tf.io.gfile.remove(stale)
  return best


def restore_best(model, best_dir):
  """Loads the best weights into `model`; returns best.json's dict or None."""
  best = read_best(best_dir)
  if best:
    tf.train.Checkpoint(model=model).read(
        posixpath.join(best_dir, best['prefix'])).expect_partial()
  return best
