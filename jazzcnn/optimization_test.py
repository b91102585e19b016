"""Optimisers, schedules and class weights."""

import keras
import pytest

from jazzcnn import optimization


def test_cosine_schedule_warms_up_then_decays_to_zero():
  lr = optimization.learning_rate(1e-3, schedule='cosine', total_steps=100,
                                  warmup_steps=10)
  values = [float(lr(step)) for step in (0, 5, 10, 55, 100)]
  assert values[0] == 0
  assert values[1] == pytest.approx(5e-4)
  assert values[2] == pytest.approx(1e-3)
  assert values[2] > values[3] > values[4]
  assert values[4] == pytest.approx(0, abs=1e-9)
  assert optimization.learning_rate(3e-4, schedule='constant',
                                    total_steps=100) == 3e-4


@pytest.mark.parametrize('name, cls', [('adamw', keras.optimizers.AdamW),
                                       ('adam', keras.optimizers.Adam),
                                       ('rmsprop', keras.optimizers.RMSprop),
                                       ('sgd', keras.optimizers.SGD)])
def test_optimizers_by_name_with_clipping(name, cls):
  opt = optimization.make_optimizer(name, 1e-3, weight_decay=0.01,
                                    clipnorm=1.0)
  assert isinstance(opt, cls)
  assert opt.clipnorm == 1.0
  if name == 'adamw':
    assert opt.weight_decay == 0.01
  with pytest.raises(ValueError, match='optimizer must be'):
    optimization.make_optimizer('lamb', 1e-3)


def test_balanced_class_weights_even_out_the_eras():
  weights = optimization.class_weights([30, 10, 0, 20], 'balanced')
  assert weights == {0: 60 / 90, 1: 60 / 30, 2: 0.0, 3: 60 / 60}
  assert 30 * weights[0] == 10 * weights[1] == 20 * weights[3]
  assert optimization.class_weights([30, 10], 'none') is None
  with pytest.raises(ValueError, match='class_weighting'):
    optimization.class_weights([1], 'inverse')
