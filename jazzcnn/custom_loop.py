"""A training loop for the strategy Keras' fit cannot drive.

Keras 3 `Model.fit` fails under MultiWorkerMirroredStrategy with several
workers (keras-team/keras#20585: PerReplica inputs reach the train step).
This loop distributes the dataset itself and calls `strategy.run`, with the
same model, optimizer (loss scaling included), callbacks (checkpoints,
TensorBoard, progress bar) and logs as fit.
"""

import keras
import tensorflow as tf


class DistributedLoop:
  """fit for a compiled classifier under any tf.distribute strategy."""

  def __init__(self, model, strategy, *, global_batch, class_weights=None,
               preemption=None, label_smoothing=0.0):
    """`preemption`: a checkpoints.Preemption, agreed across workers here."""
    self._model, self._strategy = model, strategy
    self._preemption = preemption
    if preemption is not None:
      preemption.coordinate()
    self._global_batch = global_batch
    self._smoothing = label_smoothing
    self._weights = None
    if class_weights:
      self._weights = tf.constant([class_weights[i] for i in
                                   range(len(class_weights))], tf.float32)
    self._train_step = tf.function(self._train_step_fn)

  def _train_step_fn(self, iterator, signalled):
    """One step; also sums the workers' SIGTERM flags (`signalled`, 0 or 1),
    so that all of them learn of a preemption at the same step."""
    model, optimizer = self._model, self._model.optimizer

    def step(x, y, signalled):
      with tf.GradientTape() as tape:
        probs = model(x, training=True)
        per_example = keras.losses.categorical_crossentropy(
            y, probs, label_smoothing=self._smoothing)
        if self._weights is not None:
          per_example *= tf.gather(self._weights, tf.argmax(y, axis=-1))
        loss = tf.nn.compute_average_loss(
            per_example, global_batch_size=self._global_batch)
        scaled = optimizer.scale_loss(loss)
      grads = tape.gradient(scaled, model.trainable_variables)
      optimizer.apply_gradients(zip(grads, model.trainable_variables))
      return loss, _correct(y, probs), signalled

    x, y = next(iterator)
    loss, correct, signalled = self._strategy.run(step,
                                                  args=(x, y, signalled))
    reduce = lambda v: self._strategy.reduce('SUM', v, axis=None)
    return (reduce(loss), reduce(correct) / self._global_batch,
            reduce(signalled))

  def fit(self, dataset, *, initial_epoch, epochs, steps_per_epoch, callbacks,
          class_weight=None, verbose=1):
    """Trains like `Model.fit` on an endless dataset of (waveform, one-hot).

    `class_weight` is taken at construction (`class_weights`); the argument
    is accepted so that both loops are called alike.
    """
    del class_weight
    model = self._model
    iterator = iter(self._strategy.experimental_distribute_dataset(dataset))
    callback_list = keras.callbacks.CallbackList(
        callbacks, add_history=True, add_progbar=bool(verbose), model=model,
        verbose=1 if verbose else 0, epochs=epochs, steps=steps_per_epoch)
    model.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    for epoch in range(initial_epoch, epochs):
      callback_list.on_epoch_begin(epoch)
      total_loss = total_accuracy = 0.0
      for step in range(steps_per_epoch):
        callback_list.on_train_batch_begin(step)
        signalled = self._preemption is not None and self._preemption.signalled
        loss, accuracy, preempted = self._train_step(
            iterator, tf.constant(float(signalled)))
        if preempted > 0:  # Some worker got SIGTERM: every worker sees it.
          self._preemption.agree()
        total_loss += float(loss)
        total_accuracy += float(accuracy)
        logs = {'loss': total_loss / (step + 1),
                'accuracy': total_accuracy / (step + 1)}
        callback_list.on_train_batch_end(step, logs)
        if model.stop_training:
          break
      callback_list.on_epoch_end(epoch, logs)
      if model.stop_training:
        break
    callback_list.on_train_end(logs)


def _correct(y, probs):
  return tf.reduce_sum(tf.cast(
      tf.equal(tf.argmax(probs, axis=-1), tf.argmax(y, axis=-1)), tf.float32))


class KerasFit:
  """`Model.fit` behind the loop's interface (validation is a callback)."""

  def __init__(self, model):
    self._model = model

  def fit(self, dataset, *, initial_epoch, epochs, steps_per_epoch, callbacks,
          class_weight=None, verbose='auto'):
    self._model.fit(dataset, initial_epoch=initial_epoch, epochs=epochs,
                    steps_per_epoch=steps_per_epoch, class_weight=class_weight,
                    callbacks=callbacks, verbose=verbose)


def workers(strategy):
  """Workers (chief included) in the strategy's cluster; 1 without one."""
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None:
    return 1
  spec = resolver.cluster_spec()
  return max(1, sum(spec.num_tasks(job) for job in ('chief', 'worker')
                    if job in spec.jobs))


def make_loop(model, strategy, *, global_batch, class_weights, preemption,
              label_smoothing=0.0):
  """`Model.fit`, or `DistributedLoop` where fit cannot run (several workers).

  Keras 3 fit cannot drive MultiWorkerMirroredStrategy with several workers
  (keras-team/keras#20585).
  """
  if (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
      and workers(strategy) > 1):
    return DistributedLoop(model, strategy, global_batch=global_batch,
                           class_weights=class_weights, preemption=preemption,
                           label_smoothing=label_smoothing)
  return KerasFit(model)
