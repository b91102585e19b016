"""tools/accelerator_throughput.py builds the models `jazzcnn.train` trains.

It swaps kapre's front end for Keras' MelSpectrogram to run where TensorFlow
is not installed; the network after the spectrogram must stay the same, or
its GPU figures (BENCHMARKS.md) describe another model.
"""

import json
import os
import pathlib
import subprocess
import sys

from jazzcnn import models

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_same_network_and_flops_as_the_registry(tmp_path):
  out = tmp_path / 'rows.json'
  subprocess.run(
      [sys.executable, str(ROOT / 'tools' / 'accelerator_throughput.py'),
       '--configs=shortres:0.125:2,seed:0.125:2', '--policies=float32',
       '--steps=1', '--epochs=2', '--no_jit', f'--out={out}'],
      check=True, capture_output=True,
      env=dict(os.environ, KERAS_BACKEND='tensorflow'))
  rows = {row['architecture']: row
          for row in map(json.loads, out.read_text().splitlines())}
  for architecture, row in rows.items():
    # One chunk of a window: whole windows for the seed, 3.69 s for shortres.
    model = models.build_model(4, row['train_input_samples'],
                               architecture=architecture, width=0.125)
    assert row['parameters'] == model.count_params()
    assert row['forward_gflop_per_example'] * 1e9 == models.forward_flops(model)
    assert row['windows_per_s'] > 0
