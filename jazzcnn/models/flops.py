"""FLOPs of a model's forward pass, from its conv and dense layers.

Imports nothing but Keras and NumPy, so a benchmark on another Keras
backend (tools/accelerator_throughput.py) counts the same way.
"""

import keras
import numpy as np


def forward_flops(model):
  """Multiply-adds x 2 of a window's forward pass, conv and dense layers.

  A chunked model runs its network once per chunk at inference; the
  spectrogram front end and pooling are not counted (a few percent).
  """
  names = {layer.name for layer in model.layers}
  chunks = model.get_layer('chunks').count if 'chunks' in names else 1
  flops = 0
  for layer in model.layers:
    if isinstance(layer, keras.layers.Conv2D):
      _, h, w, c_out = layer.output.shape
      kh, kw, c_in, _ = layer.kernel.shape
      flops += 2 * h * w * kh * kw * c_in * c_out * chunks
    elif isinstance(layer, keras.layers.Dense):
      flops += 2 * int(np.prod(layer.kernel.shape)) * (
          1 if layer.name == 'era' else chunks)
  return flops
