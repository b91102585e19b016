"""The Keras port of musicnn against its original TF1 graph.

The wheel's `.meta` graph still imports in TensorFlow 2.20 once the
training-only nodes (`gradients/`, the optimizer, metrics, the saver) and
the stale `_output_shapes` attributes are dropped; the checkpoint's values
are then assigned and the graph runs in a `tf.compat.v1.Session`. Both get
the same spectrogram patches and must give the same 50 tag probabilities,
pooled features and penultimate layer within 1e-4.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow.python.training import py_checkpoint_reader  # pylint: disable=g-direct-tensorflow-import

from jazzcnn.models import musicnn

_TRAINING_ONLY = ('gradients/', 'Adam', 'beta1_power', 'beta2_power',
                  'metrics', 'save/', 'Placeholder')
_OUTPUTS = {'tags': 'model/Sigmoid:0',
            'pooled': 'model/Flatten/flatten/Reshape:0',
            'penultimate': 'model/batch_normalization_10/batchnorm/add_1:0'}


def _inference_graph_def(prefix):
  meta = meta_graph_pb2.MetaGraphDef()
  with open(prefix + '.meta', 'rb') as f:
    meta.ParseFromString(f.read())
  dropped = {n.name for n in meta.graph_def.node
             if n.name.startswith(_TRAINING_ONLY)}
  kept = []
  changed = True
  nodes = list(meta.graph_def.node)
  while changed:  # Drop nodes whose inputs were dropped, to a fixed point.
    changed = False
    kept = []
    for node in nodes:
      inputs = {i.lstrip('^').split(':')[0] for i in node.input}
      if node.name in dropped or inputs & dropped:
        if node.name not in dropped:
          dropped.add(node.name)
          changed = True
        continue
      kept.append(node)
    nodes = kept
  graph_def = tf.compat.v1.GraphDef()
  graph_def.versions.CopyFrom(meta.graph_def.versions)
  for node in kept:
    copy = graph_def.node.add()
    copy.CopyFrom(node)
    copy.attr.pop('_output_shapes', None)
  return graph_def


def _run_original(prefix, patches):
  reader = py_checkpoint_reader.NewCheckpointReader(prefix)
  graph = tf.Graph()
  with graph.as_default():
    tf.compat.v1.import_graph_def(_inference_graph_def(prefix), name='')
    assigns = [tf.compat.v1.assign(graph.get_tensor_by_name(f'{n.name}:0'),
                                   reader.get_tensor(n.name))
               for n in graph.as_graph_def().node if n.op == 'VariableV2']
    with tf.compat.v1.Session(graph=graph) as session:
      session.run(assigns)
      return session.run(_OUTPUTS, {'model/Placeholder:0': patches,
                                    'model/Placeholder_2:0': False})


def _run_port(patches):
  spectrogram = keras.Input((musicnn.PATCH_FRAMES, musicnn.N_MELS, 1))
  outputs = musicnn.network(spectrogram)
  model = keras.Model(spectrogram, outputs)
  assert musicnn.load_pretrained(model) == 21  # 8 convs, 11 BatchNorms, 2 dense.
  out = model(patches[..., None], training=False)
  return {'tags': keras.ops.sigmoid(out['logits']).numpy(),
          'pooled': out['pooled'].numpy(),
          'penultimate': out['penultimate'].numpy()}


def test_port_matches_the_original_graph():
  prefix = musicnn.checkpoint_prefix()
  # Log-compressed mel power lies in [0, ~5]; random patches in that range.
  patches = np.random.default_rng(0).uniform(
      0, 4, (3, musicnn.PATCH_FRAMES, musicnn.N_MELS)).astype(np.float32)
  original = _run_original(prefix, patches)
  port = _run_port(patches)
  for name in _OUTPUTS:
    assert original[name].shape == port[name].shape, name
    np.testing.assert_allclose(port[name], original[name], atol=1e-4,
                               err_msg=name)
  assert original['tags'].std() > 0.01  # Not a degenerate comparison.


def test_missing_wheel_is_one_clear_error(monkeypatch):
  monkeypatch.setattr(musicnn.importlib.util, 'find_spec', lambda name: None)
  with pytest.raises(ValueError, match='pip install --no-deps musicnn'):
    musicnn.checkpoint_prefix()


def test_front_end_matches_librosa_as_musicnn_was_trained():
  """The kapre front end against librosa 0.11's melspectrogram (fixture).

  tests/data/musicnn_frontend_librosa.npz holds a 3 s int16 test signal and
  `np.log10(10000 * librosa.feature.melspectrogram(y=pcm / 32768, sr=16000,
  hop_length=256, n_fft=512, n_mels=96).T + 1)`, what musicnn's extractor
  computes (librosa is not a dependency). librosa centres its frames, kapre
  does not: kapre's frame j is librosa's frame j + 1.
  """
  data = np.load(os.path.join(os.path.dirname(__file__), 'data',
                              'musicnn_frontend_librosa.npz'))
  pcm, reference = data['pcm'], data['librosa']
  waveform = keras.Input((len(pcm),), dtype='int16')
  front = keras.Model(waveform, musicnn.frontend(waveform))
  ours = front(pcm[None])[0, :, :, 0].numpy()
  assert ours.shape == (musicnn.PATCH_FRAMES, musicnn.N_MELS)
  np.testing.assert_allclose(ours, reference[1:1 + len(ours)], atol=1e-4)
