"""The training recipe: every hyperparameter, checked, in one frozen config."""

import dataclasses

from jazzcnn import models
from jazzcnn import optimization

PRECISIONS = ('', 'mixed_float16', 'mixed_bfloat16')


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """Every hyperparameter; flags/default.cfg documents each one."""
  model: str = 'seed'
  width: float = 1.0
  depth: int = 0  # 0: the architecture's default.
  dropout: float = 0.25
  chunk_seconds: float = -1.0  # < 0: the architecture's default.
  spec_mask: bool = False
  freeze: bool = False  # Pretrained models: keep the conv layers fixed.
  train_mid_end: bool = False  # With freeze: the mid end's convs train.
  epochs: int = 30
  steps_per_epoch: int = 0  # 0: one pass over the train split.
  batch_size: int = 32  # Global, split across replicas.
  learning_rate: float = 1e-4
  optimizer: str = 'rmsprop'
  weight_decay: float = 0.0
  clipnorm: float = 0.0
  lr_schedule: str = 'constant'
  warmup_steps: int = 0
  label_smoothing: float = 0.0
  mixup: float = 0.0  # Beta(α, α) of mixup; 0: off.
  balanced_batches: bool = False
  class_weighting: str = 'balanced'
  mixed_precision: str = ''
  jit_compile: bool = False
  checkpoint_every: int = 500  # Steps; 0: only at epoch ends.
  keep_checkpoints: int = 3
  shuffle_buffer: int = 256
  cycle_length: int = 4
  seed: int = 0
  deterministic: bool = False  # The seed fixes the training order too.

  def validate(self):
    """Raises ValueError naming the first bad field and its value."""
    checks = [
        (self.model in models.ARCHITECTURES,
         'model', f'must be one of {sorted(models.ARCHITECTURES)}'),
        (0 < self.width <= 4, 'width', 'must be in (0, 4]'),
        (self.depth >= 0, 'depth', 'must be >= 0'),
        (0 <= self.dropout < 1, 'dropout', 'must be in [0, 1)'),
        (self.freeze or not self.train_mid_end,
         'train_mid_end', 'needs freeze'),
        (self.epochs >= 1, 'epochs', 'must be >= 1'),
        (self.steps_per_epoch >= 0, 'steps_per_epoch', 'must be >= 0'),
        (self.batch_size >= 1, 'batch_size', 'must be >= 1'),
        (self.learning_rate > 0, 'learning_rate', 'must be > 0'),
        (self.optimizer in optimization.OPTIMIZERS,
         'optimizer', f'must be one of {optimization.OPTIMIZERS}'),
        (self.weight_decay >= 0, 'weight_decay', 'must be >= 0'),
        (self.clipnorm >= 0, 'clipnorm', 'must be >= 0'),
        (self.lr_schedule in optimization.SCHEDULES,
         'lr_schedule', f'must be one of {optimization.SCHEDULES}'),
        (self.warmup_steps >= 0, 'warmup_steps', 'must be >= 0'),
        (0 <= self.label_smoothing < 1, 'label_smoothing', 'must be in [0, 1)'),
        (self.mixup >= 0, 'mixup', 'must be >= 0'),
        (self.class_weighting in optimization.CLASS_WEIGHTING,
         'class_weighting', f'must be one of {optimization.CLASS_WEIGHTING}'),
        (self.mixed_precision in PRECISIONS,
         'mixed_precision', f'must be one of {PRECISIONS}'),
        (self.checkpoint_every >= 0, 'checkpoint_every', 'must be >= 0'),
        (self.keep_checkpoints >= 1, 'keep_checkpoints', 'must be >= 1'),
        (self.shuffle_buffer >= 0, 'shuffle_buffer', 'must be >= 0'),
        (self.cycle_length >= 1, 'cycle_length', 'must be >= 1'),
    ]
    for ok, field, requirement in checks:
      if not ok:
        value = getattr(self, field)
        raise ValueError(f'{field} {requirement}, got {field}={value!r}')

  def architecture(self):
    """The entries that fix the model's weights (checked on resume)."""
    return {'model': self.model, 'width': self.width, 'depth': self.depth,
            'chunk_seconds': self.chunk_seconds, 'freeze': self.freeze,
            'train_mid_end': self.train_mid_end}
