"""Optimisers, learning-rate schedules and class weights of the trainer."""

import keras

OPTIMIZERS = ('adamw', 'adam', 'rmsprop', 'sgd')
SCHEDULES = ('constant', 'cosine')
CLASS_WEIGHTING = ('none', 'balanced')


def learning_rate(peak, *, schedule, total_steps, warmup_steps=0):
  """A float (constant) or a schedule: linear warmup, then cosine decay to 0.

  Args:
    peak: the learning rate after warmup.
    schedule: 'constant' (warmup then constant is not offered: use cosine)
      or 'cosine'.
    total_steps: training steps in all, warmup included.
    warmup_steps: linear warmup from 0 (cosine only).
  """
  if schedule == 'constant':
    return peak
  if schedule != 'cosine':
    raise ValueError(f'lr_schedule must be one of {SCHEDULES}, got {schedule!r}')
  return keras.optimizers.schedules.CosineDecay(
      0.0 if warmup_steps else peak,
      decay_steps=max(1, total_steps - warmup_steps),
      warmup_target=peak if warmup_steps else None,
      warmup_steps=warmup_steps)


def make_optimizer(name, lr, *, weight_decay=0.0, clipnorm=0.0):
  """A Keras optimiser by name.

  Args:
    name: one of OPTIMIZERS.
    lr: a float or a schedule (`learning_rate`).
    weight_decay: decoupled weight decay of adamw (ignored by the others).
    clipnorm: clip each gradient to this L2 norm; 0: no clipping.
  """
  clip = {'clipnorm': clipnorm} if clipnorm else {}
  if name == 'adamw':
    return keras.optimizers.AdamW(lr, weight_decay=weight_decay, **clip)
  if name == 'adam':
    return keras.optimizers.Adam(lr, **clip)
  if name == 'rmsprop':
    return keras.optimizers.RMSprop(lr, **clip)
  if name == 'sgd':
    return keras.optimizers.SGD(lr, momentum=0.9, **clip)
  raise ValueError(f'optimizer must be one of {OPTIMIZERS}, got {name!r}')


def class_weights(windows_per_era, how):
  """{label: weight} that balances the eras' windows, or None.

  Args:
    windows_per_era: the train split's windows of each era, in label order.
    how: 'balanced' (weight total / (present eras * count); an absent era
      gets 0) or 'none'.
  """
  if how == 'none':
    return None
  if how != 'balanced':
    raise ValueError(f'class_weighting must be one of {CLASS_WEIGHTING}, got '
                     f'{how!r}')
  counts = list(windows_per_era)
  total, present = sum(counts), sum(1 for c in counts if c)
  return {i: (total / (present * c) if c else 0.0)
          for i, c in enumerate(counts)}
